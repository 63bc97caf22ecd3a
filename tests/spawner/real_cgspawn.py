"""The real cgspawn for the contract tests: CGSPAWN_BINARY (ctest passes
$<TARGET_FILE:cgspawn>; run.sh the build tree's). Missing is a failure, not
a skip: these tests are what holds the spawner to the binary."""

import os
import subprocess

import pytest


def cgspawn_binary():
    path = os.environ.get("CGSPAWN_BINARY")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            f"CGSPAWN_BINARY={path!r} is not an executable cgspawn: build it and run through"
            " ctest, or set CGSPAWN_BINARY=build/launcher/cgspawn"
        )
    return path


def run(*args, stdin=b""):
    proc = subprocess.run([cgspawn_binary(), *args], input=stdin, capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
