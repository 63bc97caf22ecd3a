#!/usr/bin/env bash
# CgroupSpawner's tests (pytest, no root needed). Exits non-zero on failure.
# Needs Debian's jupyterhub, python3-pytest, python3-pytest-asyncio (and
# python3-pip, python3-setuptools, python3-wheel for the install test).
# Extra arguments go to pytest, e.g. tests/spawner/run.sh -k poll -v
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../../spawner" && pwd)"
export PYTHONPATH="$src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
# The contract tests run the real cgspawn: the build tree's unless given.
export CGSPAWN_BINARY="${CGSPAWN_BINARY:-$(cd "$here/../.." && pwd)/build/launcher/cgspawn}"
# Debian's jupyterhub lives in /usr/bin/python3's dist-packages, not in
# whatever python3 comes first on PATH.
# pytest's temporary directories in one of ours, removed afterwards (pytest
# itself would keep the last three under /tmp/pytest-of-USER).
basetemp=$(mktemp -d /tmp/cgspawn-spawner-tests.XXXXXX)
trap 'rm -rf "$basetemp"' EXIT
/usr/bin/python3 -m pytest -q --basetemp "$basetemp/t" "$here" "$@"
