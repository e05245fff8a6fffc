#!/usr/bin/env bash
# A Python with redis-py and the applications (celery, rq) the client-library
# tests run, pinned in tests/clients/requirements.txt, in target/pyclient
# (ignored by git; PYCLIENT_DIR=/some/dir overrides it, to try this script).
# Idempotent, and instant when it is already there. In order:
#   1. a venv (python3 -m venv), which brings its own pip;
#   2. where no venv can be made but pip is there (Debian with python3-pip and
#      without python3-venv): redis-py installed with pip --target into a
#      private directory, and a bin/python wrapper that puts it on the path;
#   3. as root with apt-get: install python3-venv (on Debian 12 it pulls in
#      python3.11-venv and python3-pip-whl, which give the venv its pip) and
#      make the venv.
# Otherwise it stops and prints the exact command. The tests never skip.
set -euo pipefail
DIR=${PYCLIENT_DIR:-target/pyclient}
case $DIR in /*) ;; *) [ -z "${PYCLIENT_DIR:-}" ] || DIR="$PWD/$DIR";; esac  # relative to where we are
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore   # as root in a fresh container, pip's warning is noise
say() { echo "ensure-pyclient: $*" >&2; }

REQS="$PWD/tests/clients/requirements.txt"
# redis-py 8 for its own client-side cache, apart (PYTHONPATH=$DIR/redis8).
REQS8="$PWD/tests/clients/requirements-redis8.txt"
# Ready when it was made from these very requirements files.
if [ -x "$DIR/bin/python" ] && cat "$REQS" "$REQS8" | cmp -s - "$DIR/.requirements" \
   && "$DIR/bin/python" -c 'import redis, celery, rq' 2>/dev/null \
   && PYTHONPATH="$DIR/redis8" "$DIR/bin/python" -c 'import redis; assert redis.__version__.startswith("8.")' 2>/dev/null; then
  exit 0
fi

# We remove and rebuild $DIR: never a directory given to us that is not ours.
if [ -n "${PYCLIENT_DIR:-}" ] && [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && [ ! -e "$DIR/pyvenv.cfg" ] && [ ! -e "$DIR/bin/python" ]; then
  say "$DIR exists and is not a venv this script made; remove it or set PYCLIENT_DIR elsewhere"
  exit 1
fi
mkdir -p "$(dirname "$DIR")"
DIR="$(cd "$(dirname "$DIR")" && pwd)/$(basename "$DIR")"

have_python() { command -v python3 >/dev/null 2>&1; }

# A venv with pip in it, or nothing (Debian's python3 without python3-venv
# fails here: "ensurepip is not available").
make_venv() {
  rm -rf "$DIR"
  if have_python && python3 -m venv "$DIR" >/dev/null 2>&1 && [ -x "$DIR/bin/pip" ]; then
    return 0
  fi
  rm -rf "$DIR"
  return 1
}

# apt-get install, updating the package lists only when they are missing or stale.
apt_install() {
  say "installing $* (apt-get install -y $*)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }
}

if make_venv; then
  how=venv
elif have_python && python3 -m pip --version >/dev/null 2>&1; then
  how=pip-target
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=python3-venv; have_python || pkgs="python3 python3-venv"
  # shellcheck disable=SC2086
  apt_install $pkgs || { say "apt-get could not install $pkgs; run: apt-get update && apt-get install -y $pkgs"; exit 1; }
  make_venv || { say "python3 -m venv still makes no venv with pip after installing python3-venv"; exit 1; }
  how=venv
else
  pkgs=python3-venv; have_python || pkgs="python3 python3-venv"
  if have_python; then
    say "python3 can make no venv with pip (its venv module or ensurepip is missing) and pip is not installed."
  else
    say "python3 is not installed."
  fi
  if command -v apt-get >/dev/null 2>&1; then
    say "Run as root: apt-get update && apt-get install -y $pkgs"
  else
    say "Install Python 3 with its venv module (Debian/Ubuntu: $pkgs), then run this again."
  fi
  exit 1
fi

if [ "$how" = venv ]; then
  "$DIR/bin/pip" install -q --disable-pip-version-check -r "$REQS" \
    || { say "pip could not install tests/clients/requirements.txt into $DIR (is PyPI reachable?)"; exit 1; }
else
  rm -rf "$DIR"
  mkdir -p "$DIR/bin" "$DIR/lib"
  cat > "$DIR/bin/python" <<WRAP
#!/bin/sh
PYTHONPATH="$DIR/lib\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 "\$@"
WRAP
  chmod +x "$DIR/bin/python"
  python3 -m pip install -q --disable-pip-version-check --target "$DIR/lib" -r "$REQS" \
    || { say "pip could not install tests/clients/requirements.txt into $DIR/lib (is PyPI reachable?)"; exit 1; }
fi
"$DIR/bin/python" -c 'import redis, celery, rq' || { say "redis-py, celery or rq did not install"; exit 1; }
rm -rf "$DIR/redis8"
if [ "$how" = venv ]; then pip8=("$DIR/bin/pip"); else pip8=(python3 -m pip); fi
"${pip8[@]}" install -q --disable-pip-version-check --no-deps --target "$DIR/redis8" -r "$REQS8" \
  || { say "pip could not install tests/clients/requirements-redis8.txt into $DIR/redis8 (is PyPI reachable?)"; exit 1; }
PYTHONPATH="$DIR/redis8" "$DIR/bin/python" -c 'import redis; assert redis.__version__.startswith("8.")' \
  || { say "redis-py 8 did not install into $DIR/redis8"; exit 1; }
cat "$REQS" "$REQS8" > "$DIR/.requirements"
