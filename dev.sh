#!/usr/bin/env bash
# Sets everything up on a fresh machine (Python virtualenv, npm packages) and runs one job:
#   ./dev.sh demo        the demo story on the embedded chain
#   ./dev.sh test        the whole test suite (what CI runs)
#   ./dev.sh bench       the gas and speed benchmark
#   ./dev.sh bench-history  history at scale: 1,000,000 purchases written in bulk, indexed and queried
#   ./dev.sh fuzz --steps N  long random use on anvil: the invariant state machine for N steps (default 10000)
#   ./dev.sh fuzz --forge  the Solidity invariant campaigns (tests/forge/invariant) for 1,000,000 calls
#   ./dev.sh build       recompile contracts/ into ledger/artifacts/
#   ./dev.sh slither     the static-analysis gate: Slither (own virtualenv) on contracts/, see SECURITY.md
#   ./dev.sh brownie ARGS  brownie (own virtualenv) with the shim and anvil set up, e.g.
#                        ./dev.sh brownie run scripts/seed.py --network anvil-ledger
#   ./dev.sh setup       only set up
# Needs python3 (>= 3.10), Node.js (>= 18) with npm, and git.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=python3
# The package with every extra (cli, web, postgres, dev: see pyproject.toml) and the test tools.
EXTRAS=all,test

# needs_install DIR WHAT: make sure virtualenv DIR exists; succeed when what it should hold (pyproject.toml
# and WHAT) changed since its last install, which `installed DIR WHAT` records.
needs_install() {
  [ -x "$1/bin/python" ] || "$PY" -m venv "$1"
  [ "$(cat "$1/.installed" 2>/dev/null)" != "$(stamp "$2")" ] || return 1
  echo "==> installing into $1 $2"
  "$1/bin/python" -m pip install --quiet --upgrade pip
}
installed() { stamp "$2" > "$1/.installed"; }
stamp() { (cat pyproject.toml; echo "$1") | sha256sum | cut -d' ' -f1; }

# The history tests start a PostgreSQL server of their own (initdb + pg_ctl in a temporary folder).
has_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; }

setup_postgres() {
  has_postgres || apt_install postgresql "PostgreSQL" "the history tests start a server of their own (initdb, pg_ctl)"
}

# The web page's browser tests drive Debian's Chromium (Playwright's own browser download fails here).
setup_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium "Chromium" "the web page's browser tests drive it"
}

# apt_install PACKAGE NAME WHY: install a Debian package as root, or say in one line what to install.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing $2 ($3)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    echo "$2 is missing ($3): install it (Debian/Ubuntu: sudo apt-get install -y $1)" >&2
  fi
}

setup() {
  setup_postgres
  setup_chromium
  if needs_install "$VENV" "ledger[$EXTRAS]"; then
    "$VENV/bin/python" -m pip install --quiet -e ".[$EXTRAS]"
    installed "$VENV" "ledger[$EXTRAS]"
  fi
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.ledger-lock; then
    echo "==> installing the pinned Node.js tools (solc-js, anvil, cast, forge, Hardhat, OpenZeppelin)"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.ledger-lock
  fi
}

# The suites run on every core (pytest-xdist: -n auto); tests/ is split by layer (docs/layout.md) and the runs
# below pick tests by marker (pyproject.toml: cli, tooling, browser), not by path.
# web3.py 7.x must keep working too: the test job runs the suite a second time in a virtualenv that
# pins the oldest web3 we support: the library's tests on the embedded chain (the anvil half, and the tests
# marked cli or tooling, the command line, the scripts, cast and Hardhat's node against a node and Slither, add
# nothing web3-specific).
WEB3_OLD=7.16.0
VENV_OLD=.venv-web3v7

setup_web3_old() {
  if needs_install "$VENV_OLD" "ledger[$EXTRAS] web3 $WEB3_OLD"; then
    "$VENV_OLD/bin/python" -m pip install --quiet -e ".[$EXTRAS]" "web3==$WEB3_OLD"
    installed "$VENV_OLD" "ledger[$EXTRAS] web3 $WEB3_OLD"
  fi
}

# eth-brownie pins every dependency exactly, so it gets its own virtualenv, with our package added
# without its dependencies (brownie's web3 7 is one we support). brownie compiles through the solc-js
# shim linked where py-solc-x looks, and launches anvil (linked into its virtualenv) as network anvil-ledger.
BROWNIE=1.22.2
VENV_BROWNIE=.venv-brownie

setup_brownie() {
  if needs_install "$VENV_BROWNIE" "eth-brownie $BROWNIE"; then
    "$VENV_BROWNIE/bin/python" -m pip install --quiet "eth-brownie==$BROWNIE"
    "$VENV_BROWNIE/bin/python" -m pip install --quiet --no-deps -e .
    # What our package needs beyond brownie's pins: the CLI, the history index, fast signing.
    "$VENV_BROWNIE/bin/python" -m pip install --quiet click rich "sqlalchemy>=2" coincurve
    installed "$VENV_BROWNIE" "eth-brownie $BROWNIE"
  fi
  # The physical path: a virtualenv borrowed through a link by another checkout (tests/interop/test_any_folder.py)
  # must not end up pointing into that checkout's folder.
  local anvil
  anvil="$(cd node_modules/@foundry-rs/anvil-*/bin && pwd -P)/anvil"
  [ "$(readlink "$VENV_BROWNIE/bin/anvil")" = "$anvil" ] || ln -sf "$anvil" "$VENV_BROWNIE/bin/anvil"
  mkdir -p "$HOME/.solcx"
  ln -sf "$PWD/tools/solc-shim.js" "$HOME/.solcx/solc-v$(node -p 'require("solc/package.json").version')"
  if ! brownie networks list 2>/dev/null | grep -q anvil-ledger; then
    brownie networks add Development anvil-ledger cmd="anvil --block-base-fee-per-gas 0" \
      host=http://127.0.0.1 port=8546 accounts=10 >/dev/null
  fi
}

# Slither, for the static-analysis gate (tools/slither_gate.py), pins its own dependencies: its own virtualenv.
# It is made for the test job (and `./dev.sh slither`), not by setup: the demo does not need it.
SLITHER=0.11.6
VENV_SLITHER=.venv-slither

setup_slither() {
  if needs_install "$VENV_SLITHER" "slither-analyzer $SLITHER"; then
    "$VENV_SLITHER/bin/python" -m pip install --quiet "slither-analyzer==$SLITHER"
    installed "$VENV_SLITHER" "slither-analyzer $SLITHER"
  fi
}

# brownie 1.22 imports the script of `brownie run` under the dotted form of its absolute path, which
# fails in a folder whose path holds a dot: tools/brownie_anywhere.py starts brownie with an import finder
# that maps those names back to this folder (brownie itself is not patched).
brownie() { PATH="$PWD/$VENV_BROWNIE/bin:$PATH" "$VENV_BROWNIE/bin/python" tools/brownie_anywhere.py "$@"; }

brownie_check() {
  echo "==> brownie: compile, deploy script on anvil, tests_brownie/"
  brownie compile
  brownie run scripts/deploy.py --network anvil-ledger  # recorded in brownie's own file, .ledger/brownie/anvil-ledger/
  brownie test tests_brownie --network anvil-ledger
}

# Foundry's forge (npm @foundry-rs/forge) runs the Solidity tests in tests/forge, compiling through the solc-js
# shim (foundry.toml), run by tools/forge (the npm launcher does not pass forge's exit status on).
forge() { tools/forge "$@"; }

forge_check() {
  echo "==> forge: a fuzz test per operation, and the invariant campaigns (2 x 128 runs x 400 calls)"
  forge test
}

job=${1:-demo}
shift || true
setup
case "$job" in
  setup) ;;
  demo) exec "$VENV/bin/ledger" demo "$@" ;;
  test)
    echo "==> the package's layers (lint-imports), lint (ruff), types (mypy)"
    "$VENV/bin/lint-imports" --no-cache
    "$VENV/bin/ruff" check ledger scripts tests tools
    "$VENV/bin/mypy"
    setup_slither  # tests/interop/test_slither_gate.py runs the gate (tools/slither_gate.py) on contracts/
    setup_brownie
    brownie_check
    forge_check
    setup_web3_old
    echo "==> the tests with web3 $WEB3_OLD (embedded chain)"
    "$VENV_OLD/bin/python" -m pytest -q -n auto -m "not cli and not tooling and not browser" -k "not anvil" "$@"
    echo "==> the whole suite with web3 $("$VENV/bin/python" -c 'import web3; print(web3.__version__)')"
    "$VENV/bin/python" -m pytest -n auto -m "not browser" "$@"
    echo "==> the browser tests (one anvil, one server, one browser, in order)"
    exec "$VENV/bin/python" -m pytest -n 0 -m browser "$@" ;;
  brownie)
    setup_brownie
    brownie "$@" ;;
  slither)
    setup_slither
    exec "$VENV/bin/python" tools/slither_gate.py "$@" ;;
  bench) exec "$VENV/bin/python" scripts/benchmark.py "$@" ;;
  bench-history) exec "$VENV/bin/python" scripts/bench_history.py "$@" ;;
  fuzz)
    if [ "${1:-}" = --forge ]; then
      shift
      FOUNDRY_PROFILE=long forge test --match-path 'tests/forge/invariant/*' "$@"
    else
      exec "$VENV/bin/python" scripts/fuzz.py "$@"
    fi ;;
  build) exec "$VENV/bin/ledger" build "$@" ;;
  *) echo "usage: ./dev.sh [demo|test|bench|bench-history|fuzz|build|slither|brownie|setup]" >&2; exit 2 ;;
esac
