#!/usr/bin/env bash
# Set everything up, then run the test suite (real open data is read in place from ../shared/data/real).
# Browser tests drive Debian's Chromium, persistence tests a real PostgreSQL server, the reverse-proxy test Debian's Caddy (the tests
# start and stop their own throwaway servers); all three are installed here when missing (needs root, as on CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages (${missing[*]}) and this is not root: run sudo apt-get install ${missing[*]}" >&2
  fi
fi
.venv/bin/python -m pytest "$@"
