#!/usr/bin/env bash
# Set everything up, then generate the demo commune, build its territory and print the import report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/canvass demo "$@"
