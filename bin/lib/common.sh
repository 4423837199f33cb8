# Shared steps of bin/run and bin/test: find Python, make the virtualenv, install pinned deps.
# Sourced, not run. Every message starts with "rocketship:" so it stands out from tool output.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
CONSTRAINTS="$ROOT/requirements/constraints.txt"

say() { printf 'rocketship: %s\n' "$*"; }
die() { printf 'rocketship: error: %s\n' "$*" >&2; exit 1; }

# server_port: the port bin/run serves on, PORT or 8000; refuses anything but a TCP port number.
server_port() {
    local port="${PORT:-8000}"
    [[ "$port" =~ ^[0-9]{1,5}$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
        die "PORT must be a port number from 1 to 65535, not '$port'"
    echo "$((10#$port))"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
    else return 1
    fi
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    say "installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

# ensure_venv [extras]: a virtualenv with the pinned dependencies; reinstalls only when
# pyproject.toml, the constraints or the extras changed since the last install.
ensure_venv() {
    local extras="${1:-}" python stamp want
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)" || die "Python 3.11 or newer is needed: apt-get install python3 python3-venv"
        say "creating the virtualenv in .venv with $("$python" --version)"
        if ! "$python" -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            apt_install python3-venv || die "python3 -m venv failed: apt-get install python3-venv"
            "$python" -m venv "$VENV"
        fi
    fi
    local hash have
    hash="$(cat "$ROOT/pyproject.toml" "$CONSTRAINTS" | sha256sum | cut -c1-16)"
    want="$hash-${extras:-base}"
    stamp="$VENV/.rocketship-installed"
    have="$(cat "$stamp" 2>/dev/null || true)"
    # A dev install holds everything the base install does.
    if [ "$have" != "$want" ] && ! { [ -z "$extras" ] && [ "$have" = "$hash-dev" ]; }; then
        say "installing dependencies (pinned by requirements/constraints.txt)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        local target="$ROOT"
        [ -n "$extras" ] && target="$ROOT[$extras]"
        PIP_CONSTRAINT="$CONSTRAINTS" "$VENV/bin/python" -m pip install -q \
            --disable-pip-version-check -e "$target"
        echo "$want" > "$stamp"
    fi
}

# compile_catalogs: the .mo files of the families' Spanish and Vietnamese catalogs (locale/),
# with polib, so a machine without GNU gettext serves them too. Only stale ones are rewritten.
compile_catalogs() {
    "$VENV/bin/python" "$ROOT/manage.py" compile_catalogs -v0
}
