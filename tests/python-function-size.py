#!/usr/bin/python3
"""No function in the spawner's product code over LIMIT lines (issue 14), the
Python half of the C++ rule (readability-function-size in the product
folders' .clang-tidy). Prints each offender as FILE:LINE NAME (N lines);
exit 1 when there is one.

    tests/python-function-size.py [LIMIT [DIR...]]   (default: 60 spawner/cgroupspawner)
"""
import ast
import pathlib
import sys


def long_functions(path, limit):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if lines > limit:
                yield f"{path}:{node.lineno} {node.name} ({lines} lines, limit {limit})"


def main(argv):
    limit = int(argv[1]) if len(argv) > 1 else 60
    root = pathlib.Path(__file__).resolve().parent.parent
    dirs = [pathlib.Path(d) for d in argv[2:]] or [root / "spawner" / "cgroupspawner"]
    found = [f for d in dirs for p in sorted(d.rglob("*.py")) for f in long_functions(p, limit)]
    print("\n".join(found) if found else f"no function over {limit} lines in {len(dirs)} folder(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
