#!/usr/bin/env bash
# Sets everything up on a fresh machine (Python virtualenv, npm packages) and runs one job:
#   ./dev.sh demo        the demo story on the embedded chain
#   ./dev.sh test        the whole test suite (what CI runs)
#   ./dev.sh bench       the gas and speed benchmark
#   ./dev.sh build       recompile contracts/ into ledger/artifacts/
#   ./dev.sh setup       only set up
# Needs python3 (>= 3.10), Node.js (>= 18) with npm, and git.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=python3

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating the virtualenv $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed" want
  want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing ledger and its Python dependencies"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[test]'
    echo "$want" > "$stamp"
  fi
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.ledger-lock; then
    echo "==> installing the pinned Node.js tools (solc-js, anvil, cast, OpenZeppelin)"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.ledger-lock
  fi
}

# web3.py 7.x must keep working too: the test job runs the suite a second time in a virtualenv that
# pins the oldest web3 we support (embedded-chain tests only; the anvil half adds nothing web3-specific).
WEB3_OLD=7.16.0
VENV_OLD=.venv-web3v7

setup_web3_old() {
  if [ ! -x "$VENV_OLD/bin/python" ]; then
    "$PY" -m venv "$VENV_OLD"
  fi
  local stamp="$VENV_OLD/.installed" want
  want=$( (cat pyproject.toml; echo "$WEB3_OLD") | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing ledger with web3 $WEB3_OLD in $VENV_OLD"
    "$VENV_OLD/bin/python" -m pip install --quiet --upgrade pip
    "$VENV_OLD/bin/python" -m pip install --quiet -e '.[test]' "web3==$WEB3_OLD"
    echo "$want" > "$stamp"
  fi
}

job=${1:-demo}
shift || true
setup
case "$job" in
  setup) ;;
  demo) exec "$VENV/bin/ledger" demo "$@" ;;
  test)
    "$VENV/bin/python" -m pytest "$@"
    setup_web3_old
    echo "==> the same tests with web3 $WEB3_OLD (embedded chain)"
    exec "$VENV_OLD/bin/python" -m pytest -q -k "not anvil" "$@" ;;
  bench) exec "$VENV/bin/python" scripts/benchmark.py "$@" ;;
  build) exec "$VENV/bin/ledger" build "$@" ;;
  *) echo "usage: ./dev.sh [demo|test|bench|build|setup]" >&2; exit 2 ;;
esac
