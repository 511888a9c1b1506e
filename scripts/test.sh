#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: lint, format check, types, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "== ruff check";  .venv/bin/ruff check src tests lessons bench scripts
echo "== ruff format"; .venv/bin/ruff format --check src tests lessons bench scripts
echo "== mypy";        .venv/bin/mypy
echo "== pytest"
exec .venv/bin/pytest "$@"
