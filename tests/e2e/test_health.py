#!/usr/bin/env python3
"""kix health on recorded live objects (tests/e2e/fixtures/health: every
kind with a rule, each situation carrying the expected status in the
annotation kix.test/expect): the status of each, JSON and text, stdin, and
the exit code (0 only when every object is Healthy or Suspended)."""

import glob
import json
import os
import subprocess
import sys

from e2e_support import KIX, SRC, check, finish, kix

FIXTURES = os.path.join(SRC, "tests/e2e/fixtures/health")


def main():
    files = sorted(glob.glob(os.path.join(FIXTURES, "*.yaml")))
    docs = []
    for path in files:
        docs += [json.loads(line) for line in kix("canon", path, expect=0).stdout.splitlines()]
    report = json.loads(kix("health", *files, "--format", "json", expect=1).stdout)
    check(len(report) == len(docs) >= 30, f"{len(report)} results for {len(docs)} objects")
    for obj, got in zip(docs, report):
        want = obj["metadata"]["annotations"]["kix.test/expect"]
        check(got["name"] == obj["metadata"]["name"] and got["status"] == want,
              f"{obj['kind']}/{obj['metadata']['name']}: {got['status']} ({got['reason']}), expected {want}")
        check(got["reason"] != "", f"{got['name']}: a reason")
    statuses = {r["status"] for r in report}
    check(statuses == {"Healthy", "Progressing", "Degraded", "Suspended"}, statuses)

    text = kix("health", os.path.join(FIXTURES, "workloads.yaml"), expect=1).stdout
    check("Deployment/web-stuck @ app  Degraded  ProgressDeadlineExceeded: ReplicaSet" in text, text)
    check("Deployment/web-rolling @ app  Progressing  1 of 3 replicas updated" in text, text)

    healthy = [d for d in docs if d["metadata"]["annotations"]["kix.test/expect"] in ("Healthy", "Suspended")]
    stream = "".join(json.dumps(d) + "\n---\n" for d in healthy)
    proc = subprocess.run([KIX, "health", "-"], input=stream, capture_output=True, text=True)
    check(proc.returncode == 0, f"all healthy exits 0: {proc.returncode}\n{proc.stdout}{proc.stderr}")
    kix("health", os.path.join(FIXTURES, "missing.yaml"), expect=2)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
