#!/usr/bin/env bash
# Set up (if needed) and start the socketchat server with its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/socketchat serve "$@"
