#!/usr/bin/env bash
# Set everything up, then run the test suite (real open data is read in place from ../shared/data/real).
# Browser tests drive Debian's Chromium (installed here when missing; needs root, as on CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed and this is not root: browser tests will fail (sudo apt-get install chromium)" >&2
  fi
fi
.venv/bin/python -m pytest "$@"
