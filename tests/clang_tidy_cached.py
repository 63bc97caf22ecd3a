#!/usr/bin/python3
"""clang-tidy over the translation units of BUILD's compile_commands.json
whose path matches REGEX, skipping each one whose result is known clean.

    tests/clang_tidy_cached.py BUILD REGEX

clang-tidy took ~4 minutes of every CI run, almost all of it re-checking
files that did not change. A unit's key is a hash of everything its result
depends on: clang-tidy's version, every .clang-tidy file of the repository,
the compile command and the preprocessed unit (every header it includes,
so a changed header re-checks all its includers). The repository's own
path is replaced in both, so a fresh clone elsewhere (CI) hits the cache of
an earlier one. Only a clean result is recorded; a unit with a finding is
checked again every run and fails it. The cache lives in
${XDG_CACHE_HOME:-~/.cache}/cgspawn-clang-tidy: one empty file per key.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time

CLANG_TIDY = "clang-tidy-14"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                     "cgspawn-clang-tidy")
STALE_DAYS = 30


def tidy_configs():
    """Every .clang-tidy of the repository, with its path (the checks)."""
    found = []
    for top in ("", "common", "cgroup", "namespaces", "launcher", "tests"):
        for dirpath, dirnames, files in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if not d.startswith(("build", "."))] if top else []
            if ".clang-tidy" in files:
                path = os.path.join(dirpath, ".clang-tidy")
                with open(path, "rb") as f:
                    found.append(os.path.relpath(path, ROOT).encode() + b"\0" + f.read())
    return b"\0".join(sorted(found))


def preprocess_argv(entry):
    """The unit's compile command with -E -P in place of -c and -o."""
    argv = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c":
            out.append(a)
    return out[:1] + ["-E", "-P"] + out[1:]


def unit_key(entry, common):
    r = subprocess.run(preprocess_argv(entry), cwd=entry["directory"], capture_output=True)
    if r.returncode != 0:
        return None  # clang-tidy will say why
    h = hashlib.sha256(common)
    cmd = entry.get("command") or " ".join(entry["arguments"])
    for part in (cmd.encode(), r.stdout):
        h.update(part.replace(ROOT.encode(), b"@ROOT@"))
        h.update(b"\0")
    return h.hexdigest()


def check(entry, build, common):
    key = unit_key(entry, common)
    marker = os.path.join(CACHE, key) if key else None
    if marker and os.path.exists(marker):
        os.utime(marker)
        return entry["file"], True, ""
    r = subprocess.run([CLANG_TIDY, "-p", build, "-quiet", "--extra-arg=-w", entry["file"]],
                       capture_output=True, text=True)
    if r.returncode == 0 and marker:
        open(marker, "w").close()
    return entry["file"], False, (r.stdout + r.stderr).strip() if r.returncode else ""


def prune():
    cutoff = time.time() - STALE_DAYS * 86400
    for name in os.listdir(CACHE):
        path = os.path.join(CACHE, name)
        if os.path.getmtime(path) < cutoff:
            os.unlink(path)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: clang_tidy_cached.py BUILD REGEX")
    build, pattern = os.path.abspath(sys.argv[1]), re.compile(sys.argv[2])
    with open(os.path.join(build, "compile_commands.json")) as f:
        units = [e for e in json.load(f) if pattern.search(e["file"])]
    if not units:
        sys.exit(f"clang_tidy_cached.py: no unit of {build}/compile_commands.json matches "
                 f"{pattern.pattern}: build first, or fix the regex")
    version = subprocess.run([CLANG_TIDY, "--version"], capture_output=True).stdout
    common = version + b"\0" + tidy_configs()
    os.makedirs(CACHE, exist_ok=True)
    failed, cached = [], 0
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for file, hit, findings in pool.map(lambda e: check(e, build, common), units):
            cached += hit
            if findings:
                failed.append(file)
                print(findings, flush=True)
    prune()
    print(f"clang-tidy: {len(units)} units, {cached} known clean (cache), "
          f"{len(units) - cached} checked, {len(failed)} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
