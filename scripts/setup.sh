#!/usr/bin/env bash
# Create .venv and install the project with its test tools. Re-installs only when pyproject.toml changed.
# The project runs on Python 3.11+; MAX (aiogram-max) needs 3.12+, so the script takes $PYTHON, else
# python3.12 / python3.13 on PATH, else pyenv's newest 3.12 or 3.13, else python3 (3.11: no MAX, said below).
set -euo pipefail
cd "$(dirname "$0")/.."
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 python3.13 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && ok "$candidate"; then
      command -v "$candidate"
      return
    fi
  done
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  for candidate in $(ls -d "$root"/versions/3.12.* 2>/dev/null | sort -rV) $(ls -d "$root"/versions/3.13.* 2>/dev/null | sort -rV); do
    if ok "$candidate/bin/python"; then
      echo "$candidate/bin/python"
      return
    fi
  done
}
PY=$(find_python || true)
if [ -z "$PY" ]; then
  PY=$(command -v python3 || true)
  if [ -z "$PY" ] || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is needed (3.12+ for the MAX messenger). Install it (Debian 13 / Ubuntu 24.04:" \
      "apt-get install python3.12-venv; elsewhere: pyenv install 3.12) or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "Using $("$PY" --version 2>&1): the bot runs, but without the MAX messenger (aiogram-max needs 3.12+;" \
    "its tests are skipped). Set PYTHON=/path/to/python3.12 to serve MAX too." >&2
elif [ -x .venv/bin/python ] && ! ok .venv/bin/python; then
  echo "Replacing .venv made with $(.venv/bin/python --version 2>&1) by one with $("$PY" --version 2>&1)" >&2
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
