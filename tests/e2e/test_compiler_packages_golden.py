"""Golden output of every package in the built-in library.

Each packages/<name>/test/cluster.yaml is locked with `kix lock` and built
with the real `kix build` (charts come from a real local chart repository
serving ../shared/charts and the stand-ins of tests/fixtures/charts); the
result must equal packages/<name>/test/expected/ file for file, and the
build must not warn. Run with KIX_ACCEPT=1 to rewrite the expected files
after an intended change (and review the diff).
"""
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

from e2e_support import ChartRepository

KIX = os.environ["KIX"]
PACKAGES = os.path.join(os.environ["KIX_SOURCE_DIR"], "packages")
ACCEPT = os.environ.get("KIX_ACCEPT") == "1"


def read_tree(directory):
    files = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name)) as f:
            files[name] = f.read()
    return files


def check_package(name, work, charts):
    test_dir = os.path.join(PACKAGES, name, "test")
    expected_dir = os.path.join(test_dir, "expected")
    out = os.path.join(work, name)
    env = dict(os.environ, KIX_STORE=os.path.join(work, "store"), NO_COLOR="1", **charts.env())
    # A copy, so that kix.lock is written beside it and not into the sources.
    definition = os.path.join(work, name + "-definition")
    os.mkdir(definition)
    shutil.copy(os.path.join(test_dir, "cluster.yaml"), os.path.join(definition, "cluster.yaml"))
    p = subprocess.run([KIX, "lock", definition], env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return [f"{name}: kix lock exited {p.returncode}\n{p.stderr}"]
    p = subprocess.run([KIX, "build", definition, "-o", out], env=env, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        return [f"{name}: kix build exited {p.returncode}\n{p.stderr}"]
    problems = []
    # Images cannot be pinned here (their registries are not reachable).
    warnings = [l for l in p.stderr.splitlines() if "warning:" in l and "is not pinned in kix.lock" not in l]
    if warnings:
        problems.append(f"{name}: the golden build warns:\n{p.stderr}")
    got = read_tree(out)
    if ACCEPT:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(out, expected_dir)
        return problems
    if not os.path.isdir(expected_dir):
        return problems + [f"{name}: no test/expected/ (run with KIX_ACCEPT=1 to create it)"]
    want = read_tree(expected_dir)
    for missing in sorted(set(want) - set(got)):
        problems.append(f"{name}: {missing} is no longer emitted")
    for extra in sorted(set(got) - set(want)):
        problems.append(f"{name}: {extra} is emitted but not expected")
    for common in sorted(set(want) & set(got)):
        if want[common] != got[common]:
            diff = "".join(difflib.unified_diff(want[common].splitlines(True), got[common].splitlines(True),
                                                "expected/" + common, "got/" + common))
            problems.append(f"{name}: {common} differs\n{diff}")
    return problems


def main():
    names = sorted(n for n in os.listdir(PACKAGES) if os.path.isfile(os.path.join(PACKAGES, n, "package.yaml")))
    problems = []
    with tempfile.TemporaryDirectory() as work:
        charts = ChartRepository(work)
        charts.publish_shared()
        charts.publish_stand_ins()
        with charts:
            problems += check_all(names, work, charts)
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    print(f"{len(names)} packages checked")
    return 1 if problems else 0


def check_all(names, work, charts):
    problems = []
    for name in names:
        if not os.path.isfile(os.path.join(PACKAGES, name, "README.md")):
            problems.append(f"{name}: no README.md")
        if not os.path.isfile(os.path.join(PACKAGES, name, "test", "cluster.yaml")):
            problems.append(f"{name}: no test/cluster.yaml")
            continue
        problems += check_package(name, work, charts)
    return problems


if __name__ == "__main__":
    sys.exit(main())
