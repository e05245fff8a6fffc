#!/usr/bin/env bash
# A Python venv with redis-py for the client-library tests, in
# target/pyclient (ignored by git). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/pyclient
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import redis' 2>/dev/null; then
  exit 0
fi
mkdir -p target
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'redis>=5'
