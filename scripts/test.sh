#!/usr/bin/env bash
# Set everything up, then run the test suite (real open data is read in place from ../shared/data/real).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
