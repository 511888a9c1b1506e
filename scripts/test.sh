#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: lint, format check, types, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
paths=()
for p in src tests lessons bench scripts; do [ -d "$p" ] && paths+=("$p"); done
echo "== ruff check";  .venv/bin/ruff check "${paths[@]}"
echo "== ruff format"; .venv/bin/ruff format --check "${paths[@]}"
echo "== mypy";        .venv/bin/mypy
echo "== pytest"
exec .venv/bin/pytest "$@"
