#!/usr/bin/env bash
# Create the project's virtualenv with everything the demo, the tests and
# the docs need (Heat, Glance, gunicorn, the test tools, Sphinx), pinned by
# upper-constraints.txt. Usage: tools/make-venv.sh [PYTHON] [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
venv=${2:-.venv}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: $python is $("$python" --version 2>&1); Python 3.11 or" \
         "newer is needed (openstack-heat requires it)." >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c upper-constraints.txt \
    -r requirements.txt -r test-requirements.txt -r doc/requirements.txt
"$venv/bin/python" -m pip install --quiet --no-deps -e .
