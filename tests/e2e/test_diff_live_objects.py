#!/usr/bin/env python3
"""kix diff --live against objects as real clusters return them
(tests/e2e/fixtures/diff-live, its README says where each comes from):
what only looks like drift exits 0, list elements another field manager
owns are listed apart in every format without making the exit code 1, a
real change beside such noise is the only change, and no Secret value is
ever printed."""

import base64
import json
import os
import sys

from e2e_support import SRC, check, finish, kix

CASES = os.path.join(SRC, "tests/e2e/fixtures/diff-live")


def display(entry):
    """ResourceId::display of a JSON entry: Kind/name @ namespace."""
    name = f"{entry['kind']}/{entry['name']}"
    return f"{name} @ {entry['namespace']}" if entry["namespace"] else name


def run_case(name):
    case = os.path.join(CASES, name)
    desired = os.path.join(case, "desired.yaml")
    live = os.path.join(case, "live.json")
    with open(os.path.join(case, "expect.json")) as f:
        expect = json.load(f)
    code = expect["exit"]
    outputs = []

    proc = kix("diff", desired, "--live", live, "--format", "json", expect=code)
    outputs.append(proc.stdout + proc.stderr)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        check(False, f"{name}: --format json printed no JSON:\n{proc.stdout}{proc.stderr}")
        return
    changes = sorted(f"{display(r)} {c['path']}" for r in report["resources"] for c in r.get("changes", []))
    check(changes == sorted(expect["changes"]), f"{name}: changes {changes}, expected {expect['changes']}")
    others = [r for r in report["resources"] if r["status"] != "modified"]
    check(not others, f"{name}: unexpected kix-only or cluster-only resources: {others}")
    check(report["different"] == (code == 1), f"{name}: different is {report['different']}")
    also = sorted(f"{display(a)} {a['path']} {','.join(a['managers'])}" for a in report["alsoPresent"])
    check(also == sorted(expect["alsoPresent"]), f"{name}: alsoPresent {also}, expected {expect['alsoPresent']}")
    check(report["summary"].get("also-present", 0) == len(expect["alsoPresent"]),
          f"{name}: summary {report['summary']}")
    check(all(isinstance(a["key"], (dict, str, int)) for a in report["alsoPresent"]),
          f"{name}: alsoPresent entries without a key: {report['alsoPresent']}")

    proc = kix("diff", desired, "--live", live, expect=code)
    text = proc.stdout
    outputs.append(proc.stdout + proc.stderr)
    if code == 0:
        check("modified:           0" in text, f"{name}: text summary should have nothing modified:\n{text}")
    for line in expect["alsoPresent"]:
        path = line.split(" ")[-2]
        check(path in text, f"{name}: text output lacks {path}:\n{text}")
    if expect["alsoPresent"]:
        check("also present, owned by another manager (kix deploy leaves them; not drift):" in text,
              f"{name}: text output lacks the also-present section:\n{text}")
        check(f"also present:       {len(expect['alsoPresent'])} (" in text,
              f"{name}: text summary lacks the also-present count:\n{text}")
    else:
        check("also present" not in text, f"{name}: text output has an empty also-present section:\n{text}")
    check("\x1b[" not in text, f"{name}: no colours when stdout is not a TTY")

    proc = kix("diff", desired, "--live", live, "--format", "markdown", expect=code)
    outputs.append(proc.stdout + proc.stderr)
    if expect["alsoPresent"]:
        check("#### Also present, owned by another manager" in proc.stdout,
              f"{name}: markdown lacks the also-present list:\n{proc.stdout}")
    if code == 0:
        check("No differences." in proc.stdout, f"{name}: markdown should say there are none:\n{proc.stdout}")

    for value in expect.get("secretValues", []):
        for form in (value, base64.b64encode(value.encode()).decode()):
            for out in outputs:
                check(form not in out, f"{name}: a Secret value ({form!r}) was printed:\n{out}")


def main():
    names = sorted(n for n in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, n)))
    check(len(names) >= 9, f"expected the fixture cases in {CASES}, found {names}")
    for name in names:
        run_case(name)
    # The log-shipper sidecar is listed by its key and its manager.
    out = kix("diff", os.path.join(CASES, "deployment-other-managers", "desired.yaml"), "--live",
              os.path.join(CASES, "deployment-other-managers", "live.json"), expect=0).stdout
    check("    $.spec.template.spec.containers[2] (name: log-shipper): kubectl-patch\n" in out,
          f"the sidecar is not listed with its key and manager:\n{out}")
    check("  Deployment/immich-server @ immich\n" in out, f"the also-present list names no resource:\n{out}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
