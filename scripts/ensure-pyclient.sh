#!/usr/bin/env bash
# A Python with redis-py for the client-library tests, in target/pyclient
# (ignored by git). Idempotent. Uses a venv; where the venv module is
# missing (Debian without python3-venv) it installs redis-py into a private
# directory and writes a bin/python wrapper that puts it on the path.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=target/pyclient
if [ -x "$DIR/bin/python" ] && "$DIR/bin/python" -c 'import redis' 2>/dev/null; then
  exit 0
fi
mkdir -p target
rm -rf "$DIR"
if python3 -m venv "$DIR" 2>/dev/null && [ -x "$DIR/bin/pip" ]; then
  "$DIR/bin/pip" install -q --disable-pip-version-check 'redis>=5'
else
  rm -rf "$DIR"
  mkdir -p "$DIR/bin" "$DIR/lib"
  python3 -m pip install -q --disable-pip-version-check --target "$DIR/lib" 'redis>=5'
  cat > "$DIR/bin/python" <<WRAP
#!/bin/sh
PYTHONPATH="$(pwd)/$DIR/lib\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 "\$@"
WRAP
  chmod +x "$DIR/bin/python"
fi
"$DIR/bin/python" -c 'import redis' || { echo "ensure-pyclient: redis-py did not install" >&2; exit 1; }
