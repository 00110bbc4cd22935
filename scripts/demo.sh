#!/usr/bin/env bash
# Set everything up, build the demo commune's territory (canvass demo), then start the organisers' app on it.
# The app asks for the campaign password: CANVASS_PASSWORD, "demo" unless you set it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/canvass demo --data data/demo
export CANVASS_PASSWORD="${CANVASS_PASSWORD:-demo}"
echo "Open http://localhost:${PORT:-8501} — campaign password: ${CANVASS_PASSWORD}" >&2
exec .venv/bin/streamlit run app.py --server.headless true --server.port "${PORT:-8501}" --browser.gatherUsageStats false "$@"
