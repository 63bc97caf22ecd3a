#!/usr/bin/env bash
# Install the Python spawner (spawner/) into DIR as pip installs it, for
# Debian's /usr/bin/python3: DIR/cgroupspawner/ plus its .dist-info, whose
# entry_points.txt registers the jupyterhub.spawners entry points ("cgroup",
# "cgroupspawner"), so c.JupyterHub.spawner_class = "cgroup" works once DIR
# is on sys.path (the .deb puts it in /usr/lib/python3/dist-packages).
# Offline, with Debian's pip/setuptools/wheel (no PyPI, no build isolation).
#
#   packaging/stage-spawner.sh DIR
set -euo pipefail
out=${1:?usage: stage-spawner.sh DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# pip builds a local directory in place (build/, *.egg-info): build a copy.
src=$(mktemp -d "${TMPDIR:-/tmp}/cgspawn-spawner-src.XXXXXX")
trap 'rm -rf "$src"' EXIT
cp -r "$repo/spawner/cgroupspawner" "$repo/spawner/pyproject.toml" "$repo/spawner/README.md" "$src/"
find "$src" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$out"
if ! /usr/bin/python3 -m pip install --quiet --no-cache-dir --root-user-action=ignore --no-deps \
    --no-build-isolation --no-index --no-compile --target "$out" "$src" >"$src/pip.log" 2>&1; then
    echo "stage-spawner.sh: pip could not install spawner/ (needs the Debian packages" \
        "python3-pip python3-setuptools python3-wheel):" >&2
    sed 's/^/  pip| /' "$src/pip.log" >&2
    exit 1
fi
# direct_url.json would name the temporary build copy; drop it and its RECORD line.
for info in "$out"/cgroupspawner-*.dist-info; do
    rm -f "$info/direct_url.json"
    sed -i '/\/direct_url\.json,/d' "$info/RECORD"
done
# pip --target may leave a bin/ or pip's own metadata; only the package and its
# dist-info belong here.
find "$out" -mindepth 1 -maxdepth 1 ! -name cgroupspawner ! -name 'cgroupspawner-*.dist-info' \
    -exec rm -rf {} +
