#!/usr/bin/env bash
# Sets up everything Dothi needs on a Debian/Ubuntu machine, then runs one task:
#   scripts/dev.sh demo   — the demo city on http://127.0.0.1:8000/
#   scripts/dev.sh test   — lint, type checks and the whole test suite (SQLite and PostGIS)
#   scripts/dev.sh setup  — only the set-up
#   scripts/dev.sh bench NAME [args] — the benchmark bench/NAME.py (e.g. ogcapi_bench)
# Extra arguments go to `dothi demo` or to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

task=${1:-}
shift || true
case "$task" in demo|test|setup|bench) ;; *)
  echo "Cách dùng / usage: scripts/dev.sh demo|test|setup|bench [args]" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3}
VENV=${DOTHI_VENV:-.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Each need is checked by the file the code uses, not by a package name that may be
# installed without it (Debian's `postgis` package, say, has no server extension).
need_file() {  # PATH PACKAGE...
  [ -e "$1" ] && return 0
  shift
  echo "== Cài gói Debian / installing Debian packages: $*"
  if [ -z "${DOTHI_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    DOTHI_APT_UPDATED=1
  fi
  local log
  log=$(mktemp)
  # apt's progress only when it fails: the test output stays readable.
  if ! DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "Không cài được / could not install: $*" >&2
    exit 1
  fi
  rm -f "$log"
}

need_command() {  # COMMAND PACKAGE...
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null && return 0
  need_file "/nonexistent/$cmd" "$@"
}

# The newest PostgreSQL server on the machine (installing Debian's if there is none), and
# the PostGIS extension for that very version (on Debian 12, PostgreSQL 15:
# postgresql-15-postgis-3 and postgresql-15-postgis-3-scripts).
need_postgis() {
  local pg_ctl version
  pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_ctl" ]; then
    need_file /nonexistent/pg_ctl postgresql
    pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
  fi
  version=$(basename "$(dirname "$(dirname "$pg_ctl")")")
  need_file "/usr/share/postgresql/$version/extension/postgis.control" \
    "postgresql-$version-postgis-3" "postgresql-$version-postgis-3-scripts"
}

# Noto Sans, with every Vietnamese glyph, for the PDF documents.
need_fonts() { need_file /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf fonts-noto-core; }

# MQTT for the sensors: the broker Dothi runs for itself (with its dynamic-security plugin,
# same package), and Debian's command-line clients, which devices and the tests use.
need_mqtt() {
  need_file /usr/sbin/mosquitto mosquitto
  need_command mosquitto_pub mosquitto-clients
}

# What the tests run: PostgreSQL + PostGIS for the second backend, GDAL's tools for the
# client tests and benchmarks, Chromium for the pages' browser tests, mosquitto.
need_test_tools() {
  need_postgis
  need_command ogr2ogr gdal-bin
  need_file /usr/bin/chromium chromium
  need_fonts
  need_mqtt
}

check_python() {
  if ! command -v "$PYTHON" >/dev/null; then
    need_command "$PYTHON" python3 python3-venv
  fi
  "$PYTHON" - <<'PY' || { echo "Dothi cần Python ≥ 3.11 / needs Python 3.11+" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
  "$PYTHON" -c "import ensurepip" 2>/dev/null || need_file /nonexistent/ensurepip python3-venv
}

setup_venv() {
  local extras=$1 stamp
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  stamp="$VENV/.dothi-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$extras"
  if [ ! -f "$stamp" ]; then
    echo "== Cài gói Python / installing Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".$extras"
    rm -f "$VENV"/.dothi-installed-*
    touch "$stamp"
  fi
}

# MapLibre GL JS (map) and Swagger UI (API docs) for the pages, from package-lock.json;
# again when the lockfile changes.
setup_web() {
  local stamp
  need_command npm nodejs npm
  command -v npm >/dev/null || {
    echo "Dothi cần npm cho trang bản đồ / needs npm for the map page (apt-get install npm)" >&2
    exit 1
  }
  stamp="node_modules/.dothi-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== Cài thư viện giao diện / installing the page libraries (npm ci)"
    # npm ci empties node_modules first, so an older stamp goes with it.
    # No install scripts: the libraries need none (and one of Swagger UI's dependencies would
    # only report the install to its authors).
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
}

check_python
case "$task" in
  demo)
    need_fonts
    need_mqtt
    setup_venv ""
    setup_web
    exec "$VENV/bin/dothi" demo "$@"
    ;;
  setup)
    need_test_tools
    setup_venv "[test]"
    setup_web
    ;;
  bench)
    # The peers and ceilings run beside Dothi: wrk drives the HTTP load, pgbench the raw SQL.
    need_test_tools
    need_command wrk wrk
    setup_venv "[test]"
    name=${1:-}
    [ -f "bench/$name.py" ] || {
      echo "Cách dùng / usage: scripts/dev.sh bench NAME (bench/NAME.py)" >&2; exit 2
    }
    shift
    exec "$VENV/bin/python" "bench/$name.py" "$@"
    ;;
  test)
    need_test_tools
    setup_venv "[test]"
    setup_web
    echo "== ruff"
    "$VENV/bin/ruff" check src tests bench tools scripts
    "$VENV/bin/ruff" format --check src tests bench tools scripts
    echo "== mypy"
    "$VENV/bin/mypy"
    echo "== import layers (pyproject.toml [tool.importlinter])"
    "$VENV/bin/lint-imports" --no-cache --no-logo
    echo "== versions"
    "$VENV/bin/python" scripts/versions.py
    echo "== pytest"
    exec "$VENV/bin/pytest" "$@"
    ;;
esac
