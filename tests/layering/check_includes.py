#!/usr/bin/env python3
"""Checks that every library includes only itself and the libraries below it.

    util <- manifest <- {store, compiler, cluster} <- cli

Usage: check_includes.py REPO_ROOT. Prints each offending line as
FILE:LINE: message and exits 1 when there is one.
"""
import pathlib
import re
import sys

SEES = {
    "util": {"util"},
    "manifest": {"util", "manifest"},
    "store": {"util", "manifest", "store"},
    "compiler": {"util", "manifest", "compiler"},
    "cluster": {"util", "manifest", "cluster"},
    "cli": {"util", "manifest", "store", "compiler", "cluster", "cli"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def main(root):
    problems = []
    for layer, allowed in SEES.items():
        for path in sorted((root / layer).glob("*")):
            if path.suffix not in (".h", ".cc", ".in"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                top = target.split("/", 1)[0]
                where = f"{path.relative_to(root)}:{number}"
                if "/" not in target or ".." in target.split("/"):
                    problems.append(f"{where}: include \"{target}\" must name its library: \"{layer}/...\"")
                elif top not in allowed:
                    problems.append(
                        f"{where}: {layer}/ may not include \"{target}\" "
                        f"({layer} sees only {', '.join(sorted(allowed))})")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
