#!/usr/bin/env python3
"""kix plan: every reference points to an earlier wave, no namespaced
resource comes before its Namespace, and the JSON has the documented shape."""

import json
import os
import subprocess
import sys

KIX = os.environ["KIX"]
SRC = os.environ["KIX_SOURCE_DIR"]
FIXTURES = [os.path.join(SRC, "tests/e2e/fixtures/diff/desired")]
IMMICH = os.path.join(SRC, "examples/immich")
if os.path.isfile(os.path.join(IMMICH, "cluster.yaml")):
    FIXTURES.append(IMMICH)


def plan(path):
    proc = subprocess.run([KIX, "plan", path, "--format", "json"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"kix plan {path} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def check_plan(path):
    data = plan(path)
    failures = []
    wave_of, namespaces, entries = {}, {}, []
    for wave in data["waves"]:
        assert set(wave) == {"wave", "resources"}, wave.keys()
        if not wave["resources"]:
            failures.append(f"wave {wave['wave']} is empty")
        for r in wave["resources"]:
            for key in ("node", "apiVersion", "kind", "namespace", "name"):
                if key not in r:
                    failures.append(f"resource lacks {key}: {r}")
            wave_of[r["node"]] = wave["wave"]
            entries.append((wave["wave"], r))
            if r["kind"] == "Namespace":
                namespaces[r["name"]] = wave["wave"]
    edges = 0
    for w, r in entries:
        for ref in r.get("refs", []):
            edges += 1
            if wave_of.get(ref, 1 << 30) >= w:
                failures.append(f"{r['kind']}/{r['name']} (wave {w}) references a resource in wave {wave_of.get(ref)}")
        if r["namespace"] and r["namespace"] in namespaces and namespaces[r["namespace"]] >= w:
            failures.append(f"{r['kind']}/{r['name']} is not after its Namespace")
    if edges == 0:
        failures.append("no reference edges: reference inference found nothing to check")
    if os.path.isfile(os.path.join(path, "cluster.yaml")):
        # The compiler's own graph: every edge goes from a later wave to an earlier one.
        graph = subprocess.run([KIX, "graph", path, "--format", "json"], capture_output=True, text=True)
        if graph.returncode != 0:
            failures.append(f"kix graph failed:\n{graph.stderr}")
        else:
            data = json.loads(graph.stdout)
            if {n["node"] for n in data["nodes"]} != set(wave_of):
                failures.append("kix graph and kix plan disagree on the resources")
            if not data["edges"]:
                failures.append("kix graph has no edges")
            for e in data["edges"]:
                if wave_of.get(e["from"], -1) <= wave_of.get(e["to"], 1 << 30):
                    failures.append(f"graph edge {e['reason']!r} does not go to an earlier wave")
    text = subprocess.run([KIX, "plan", path], capture_output=True, text=True).stdout
    if "wave 0" not in text:
        failures.append("text plan lacks 'wave 0':\n" + text)
    return failures


def main():
    failures = []
    for path in FIXTURES:
        failures += [f"{path}: {f}" for f in check_plan(path)]
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
