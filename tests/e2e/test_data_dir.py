#!/usr/bin/env python3
"""Where kix finds its data (docs/install.md): beside its executable, also
through a symbolic link in another directory, or in KIX_DATA_DIR; a data
directory without packages/ is a clear error. And the version it reports."""
import os
import subprocess
import re
import shutil
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish, kix


def root_of(proc):
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def main():
    example = os.path.join(SRC, "examples", "immich")
    env = {k: v for k, v in os.environ.items() if k != "KIX_DATA_DIR"}
    with tempfile.TemporaryDirectory() as tmp:
        env["KIX_STORE"] = os.path.join(tmp, "store")
        want = root_of(kix("build", example, "-o", os.path.join(tmp, "r0"), env=env, expect=0))
        check(re.fullmatch(r"[0-9a-f]{64}", want), f"a root: {want!r}")

        # A link in a directory of its own, as in PATH: the data is found
        # beside the real executable.
        os.mkdir(os.path.join(tmp, "bin"))
        link = os.path.join(tmp, "bin", "kix")
        os.symlink(os.path.realpath(KIX), link)
        proc = subprocess.run([link, "build", example, "-o", os.path.join(tmp, "r1")],
                              capture_output=True, text=True, env=env, cwd=tmp)
        check(proc.returncode == 0 and root_of(proc) == want,
              f"kix through a link: exit {proc.returncode}\n{proc.stderr}")

        # KIX_DATA_DIR: a copy of the data works, a directory without
        # packages/ is refused naming it.
        data = os.path.join(tmp, "data")
        shutil.copytree(os.path.join(SRC, "packages"), os.path.join(data, "packages"))
        shutil.copytree(os.path.join(SRC, "schema"), os.path.join(data, "schema"))
        got = root_of(kix("build", example, "-o", os.path.join(tmp, "r2"),
                          env=dict(env, KIX_DATA_DIR=data), expect=0))
        check(got == want, f"KIX_DATA_DIR with a copy of the data: {got} != {want}")
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        proc = kix("build", example, "-o", os.path.join(tmp, "r3"),
                   env=dict(env, KIX_DATA_DIR=empty), expect=2)
        check(f"kix's data directory {empty} (KIX_DATA_DIR) has no packages/" in proc.stderr,
              f"the error names the directory:\n{proc.stderr}")
        check("set KIX_DATA_DIR" in proc.stderr, f"the error says what to do:\n{proc.stderr}")

    version = kix("--version", expect=0).stdout.strip()
    check(re.fullmatch(r"kix \d+\.\d+\.\d+(\+git\d{8}\.\d{6}\.[0-9a-f]{7,})?", version),
          f"kix --version: {version!r}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
