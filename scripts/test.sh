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
# The conformance suite (irctest, about 3 minutes; through the cluster, 10 to 20 more) runs with
# the whole suite, not with a subset.
if [ "$#" -eq 0 ]; then
    echo "== conformance"
    scripts/conformance.sh
    # The same suite through three cluster nodes behind a round-robin proxy (issue 13), the
    # common selection only: cluster nodes have no accounts or history yet (docs/conformance.md,
    # "Through a round-robin proxy"). 318 of 340 passed when this was added.
    echo "== conformance through three cluster nodes"
    scripts/conformance.sh --nodes 3 --only common \
        --common-min "${CONFORMANCE_CLUSTER_COMMON_MIN:-310}"
fi
