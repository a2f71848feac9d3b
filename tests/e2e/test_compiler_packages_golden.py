"""Golden output of every package in the built-in library, through the
command package authors use: `kix package test packages/<name>` builds each
test case (test/cluster.yaml) as `kix lock` then `kix build` would (charts
come from a real local chart repository serving ../shared/charts and the
stand-ins of tests/fixtures/charts) and compares the result with
test/expected/ file for file; the build must not warn either. Run with
KIX_ACCEPT=1 to rewrite the expected files after an intended change (and
review the diff). Every package must also pass `kix package lint --strict`.
"""
import json
import os
import subprocess
import sys
import tempfile

from e2e_support import ChartRepository

KIX = os.environ["KIX"]
PACKAGES = os.path.join(os.environ["KIX_SOURCE_DIR"], "packages")
ACCEPT = os.environ.get("KIX_ACCEPT") == "1"


def check_package(name, work, charts):
    env = dict(os.environ, KIX_STORE=os.path.join(work, "store"), NO_COLOR="1", **charts.env())
    command = [KIX, "package", "test", os.path.join(PACKAGES, name), "--format", "json"]
    if ACCEPT:
        command.append("--accept")
    p = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 1):
        return [f"{name}: kix package test exited {p.returncode}\n{p.stderr}"]
    report = json.loads(p.stdout)
    problems = []
    for case in report["cases"]:
        if case["outcome"] not in ("passed", "accepted"):
            detail = "\n".join(c["diff"] for c in case["changed"])
            problems.append(f"{name}: {case['name']} {case['outcome']}: {case['reason']}\n"
                            f"missing {case['missing']}, unexpected {case['unexpected']}\n"
                            f"{detail}{''.join(case['errors'])}")
        # Images cannot be pinned here (their registries are not reachable).
        warnings = [w for w in case["warnings"] if "is not pinned in kix.lock" not in w]
        if warnings:
            problems.append(f"{name}: {case['name']}: the golden build warns:\n" + "".join(warnings))
    if (p.returncode == 0) != (report["failed"] == 0):
        problems.append(f"{name}: exit {p.returncode} with {report['failed']} failed cases")
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
        problems += lint_package(name)
    return problems


def lint_package(name):
    """Every built-in package lints clean, warnings included."""
    p = subprocess.run([KIX, "package", "lint", "--strict", "--format", "json",
                        os.path.join(PACKAGES, name)], capture_output=True, text=True, timeout=60)
    report = json.loads(p.stdout) if p.stdout.startswith("{") else None
    if p.returncode != 0 or report is None or report["findings"]:
        return [f"{name}: kix package lint --strict exited {p.returncode}\n{p.stdout}{p.stderr}"]
    return []


if __name__ == "__main__":
    sys.exit(main())
