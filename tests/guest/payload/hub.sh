#!/bin/bash
# Main process of cgspawn-hub.service (Delegate=yes, in the guest): the pytest
# suite. Its session fixture runs `cgspawn init`; conftest writes pytest-rc.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PYTHONDONTWRITEBYTECODE=1
# Installed where an admin would put it, root-owned, so sudoers can name it.
install -m 0755 -o root -g root /payload/bin/cgspawn /usr/local/sbin/cgspawn
export CGSPAWN=/usr/local/sbin/cgspawn CGSPAWN_RESULTS=/payload/results
args=()
if [[ -s /payload/pytest-k ]]; then
    args+=(-k "$(cat /payload/pytest-k)")
fi
cd /payload/suite || exit 1
# run.sh --scope core: only the files core.txt lists
if [[ $(cat /payload/pytest-scope 2>/dev/null) == core ]]; then
    mapfile -t core < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' core.txt)
    args+=("${core[@]}")
fi
exec >>"$CGSPAWN_RESULTS/pytest.txt" 2>&1
exec /usr/bin/python3 -m pytest -v -ra --tb=short --durations=15 -p no:cacheprovider \
    --timeout=240 --junitxml="$CGSPAWN_RESULTS/junit.xml" "${args[@]}"
