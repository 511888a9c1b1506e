#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: lint, format check, types, pytest, then the
# conformance suite (scripts/conformance.sh; only when no pytest arguments are given).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
paths=()
for p in src tests lessons bench scripts; do [ -d "$p" ] && paths+=("$p"); done
echo "== ruff check";  .venv/bin/ruff check "${paths[@]}"
echo "== ruff format"; .venv/bin/ruff format --check "${paths[@]}"
echo "== mypy";        .venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
# The conformance suite (irctest, about 3 minutes) runs with the whole suite, not with a subset.
if [ "$#" -eq 0 ]; then
    echo "== conformance"
    scripts/conformance.sh
fi
