"""examples/immich-full against seed 002's hand-written manifests.

Compiles the example with the real `kix build` and compares it with
examples/immich-full/seed-002-manifests.yaml resource by resource and field
by field. Every difference must be listed as intentional in the example's
README ("- `Kind/name` `pointer-prefix`: why"); anything else fails.
"""
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from e2e_support import ChartRepository

KIX = os.environ["KIX"]
EXAMPLE = os.path.join(os.environ["KIX_SOURCE_DIR"], "examples", "immich-full")


def canon(paths):
    docs = []
    for p in paths:
        r = subprocess.run([KIX, "canon", p], capture_output=True, text=True, check=True)
        docs += [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {d["kind"] + "/" + d["metadata"]["name"]: d for d in docs}


def differences(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = path + "/" + k.replace("~", "~0").replace("/", "~1")
            if k not in a or k not in b:
                out.append(p)
            else:
                differences(a[k], b[k], p, out)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            if i < len(a) and i < len(b):
                differences(a[i], b[i], f"{path}/{i}", out)
            else:
                out.append(f"{path}/{i}")
    elif a != b:
        out.append(path)


def intentional():
    with open(os.path.join(EXAMPLE, "README.md")) as f:
        return re.findall(r"^- `([^`]+)` `([^`]+)`:", f.read(), re.M)


def covered(resource, pointer, rules):
    for who, prefix in rules:
        if not fnmatch.fnmatchcase(resource, who):
            continue
        if prefix == "*" or fnmatch.fnmatchcase(pointer, prefix) or fnmatch.fnmatchcase(pointer, prefix + "/*"):
            return True
    return False


def main():
    rules = intentional()
    problems = [] if len(rules) > 5 else ["the README lists no intentional differences"]
    with tempfile.TemporaryDirectory() as work:
        charts = ChartRepository(work)
        charts.publish_shared()
        with charts:
            # The operator's chart from the local repository, locked in a copy
            # of the example (kix lock writes kix.lock beside cluster.yaml).
            env = dict(os.environ, KIX_STORE=os.path.join(work, "store"), NO_COLOR="1", **charts.env())
            example = os.path.join(work, "immich-full")
            shutil.copytree(EXAMPLE, example)
            for command in (["lock", example], ["build", example, "-o", os.path.join(work, "out")]):
                p = subprocess.run([KIX, *command], env=env, capture_output=True, text=True, timeout=120)
                if p.returncode != 0:
                    print(f"kix {' '.join(command)}: exit {p.returncode}\n{p.stderr}", file=sys.stderr)
                    return 1
            build_stderr = p.stderr
            # Deployable on an empty cluster: the operator's CRDs, controller
            # and webhooks come in waves before the database's Cluster.
            p = subprocess.run([KIX, "plan", example, "--format", "json"], env=env, capture_output=True,
                               text=True, timeout=120)
            plan = json.loads(p.stdout)
            wave = {f"{r['kind']}/{r['name']}": w["wave"] for w in plan["waves"] for r in w["resources"]}
            database = wave.get("Cluster/immich-postgres", -1)
            for before in ("CustomResourceDefinition/clusters.postgresql.cnpg.io", "Deployment/cnpg-operator",
                           "Service/cnpg-webhook-service",
                           "ValidatingWebhookConfiguration/cnpg-validating-webhook-configuration",
                           "MutatingWebhookConfiguration/cnpg-mutating-webhook-configuration"):
                if not wave.get(before, 99) < database:
                    problems.append(f"{before} (wave {wave.get(before)}) must come before the Cluster (wave {database})")
            if not wave.get("Deployment/cnpg-operator", 99) < wave.get("Service/cnpg-webhook-service", -1):
                problems.append("the webhook Service must come after the operator's Deployment")
        # Images cannot be pinned here (their registries are not reachable).
        if [l for l in build_stderr.splitlines() if "warning:" in l and "is not pinned in kix.lock" not in l]:
            problems.append("the build warns:\n" + build_stderr)
        out = os.path.join(work, "out")
        kix = canon([os.path.join(out, f) for f in sorted(os.listdir(out)) if f not in ("root", "graph")])
    seed = canon([os.path.join(EXAMPLE, "seed-002-manifests.yaml")])
    for resource in sorted(set(seed) | set(kix)):
        if resource not in kix or resource not in seed:
            if not covered(resource, "", rules):
                side = "seed 002" if resource in seed else "kix"
                problems.append(f"{resource} exists only in {side}'s output")
            continue
        diffs = []
        differences(seed[resource], kix[resource], "", diffs)
        for d in diffs:
            if not covered(resource, d, rules):
                problems.append(f"{resource} {d} differs and is not listed as intentional")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
