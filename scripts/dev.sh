#!/usr/bin/env bash
# Sets up everything Dothi needs on a Debian/Ubuntu machine, then runs one task:
#   scripts/dev.sh demo   — the demo city on http://127.0.0.1:8000/
#   scripts/dev.sh test   — lint, type checks and the whole test suite (SQLite and PostGIS)
#   scripts/dev.sh setup  — only the set-up
# Extra arguments go to `dothi demo` or to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

task=${1:-}
shift || true
case "$task" in demo|test|setup) ;; *)
  echo "Cách dùng / usage: scripts/dev.sh demo|test|setup [args]" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3}
VENV=${DOTHI_VENV:-.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing_debs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_debs() {
  local need
  need=$(missing_debs "$@")
  [ -z "$need" ] && return 0
  echo "== Cài gói Debian / installing Debian packages: $need"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $need
}

check_python() {
  if ! command -v "$PYTHON" >/dev/null; then
    install_debs python3 python3-venv
  fi
  "$PYTHON" - <<'PY' || { echo "Dothi cần Python ≥ 3.11 / needs Python 3.11+" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
  "$PYTHON" -m venv --help >/dev/null 2>&1 || install_debs python3-venv
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

# MapLibre GL JS for the map page, from package-lock.json; again when the lockfile changes.
setup_web() {
  local stamp
  command -v npm >/dev/null || install_debs nodejs npm
  command -v npm >/dev/null || {
    echo "Dothi cần npm cho trang bản đồ / needs npm for the map page (apt-get install npm)" >&2
    exit 1
  }
  stamp="node_modules/.dothi-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "== Cài thư viện bản đồ / installing the map library (npm ci)"
    # npm ci empties node_modules first, so an older stamp goes with it.
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
}

check_python
case "$task" in
  demo)
    setup_venv ""
    setup_web
    exec "$VENV/bin/dothi" demo "$@"
    ;;
  setup)
    install_debs postgresql postgis gdal-bin chromium fonts-noto-core
    setup_venv "[test]"
    setup_web
    ;;
  test)
    # PostgreSQL + PostGIS for the second backend, GDAL's tools for the benchmark,
    # Chromium (and a font with Vietnamese glyphs) for the map page's browser test.
    install_debs postgresql postgis gdal-bin chromium fonts-noto-core
    setup_venv "[test]"
    setup_web
    echo "== ruff"
    "$VENV/bin/ruff" check src tests bench tools
    "$VENV/bin/ruff" format --check src tests bench tools
    echo "== mypy"
    "$VENV/bin/mypy"
    echo "== pytest"
    exec "$VENV/bin/pytest" "$@"
    ;;
esac
