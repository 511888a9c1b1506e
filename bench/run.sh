#!/usr/bin/env bash
# Benchmark socketchat side by side with ngIRCd, InspIRCd and miniircd (see bench/README.md).
#   bench/run.sh                 full run (~15 minutes), results in bench/results/<timestamp>/
#   bench/run.sh --quick         fewer clients, shorter windows
#   bench/run.sh --help          every option
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    scripts/setup.sh
fi
# The harness and its chart need matplotlib and miniircd (the "bench" extra).
if ! .venv/bin/python -c 'import matplotlib, websockets' >/dev/null 2>&1 \
        || [ ! -x .venv/bin/miniircd ]; then
    .venv/bin/python -m pip install -q matplotlib miniircd websockets
fi
exec .venv/bin/python -m bench "$@"
