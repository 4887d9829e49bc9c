#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter (the newest ansible-core needs it), or explains
# what is missing and exits 1. Honours $PYTHON when set.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for v in python3.13 python3.12 python3; do
  p=$(command -v "$v" 2>/dev/null || true)
  [ -n "$p" ] && candidates+=("$p")
done
for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions" /usr/local/bin /usr/bin; do
  for p in "$root"/3.13*/bin/python3 "$root"/3.12*/bin/python3 "$root"/python3.13 "$root"/python3.12; do
    [ -x "$p" ] && candidates+=("$p")
  done
done
for c in "${candidates[@]}"; do
  if ok "$c"; then
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "error: no Python >= 3.12 found (tried: ${candidates[*]:-nothing})." >&2
echo "       ansible-core 2.21 needs Python 3.12 or newer. Install one (e.g. apt-get install python3.12," >&2
echo "       or 'pyenv install 3.12') or point PYTHON=/path/to/python3.12 at it, then re-run make." >&2
exit 1
