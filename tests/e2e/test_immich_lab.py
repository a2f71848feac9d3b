#!/usr/bin/env python3
"""examples/immich-lab (seed 004's lab) with the real binary:

- the build derives exactly the lab's four edges as NetworkPolicies —
  server→postgres:5432, server→redis:6379, server→ml:3003 and
  ml→postgres:5432, each as an ingress rule and an egress rule — plus the
  default deny and DNS, and nothing else;
- each policy's selectors match the labels of the pods at its ends: the
  workloads' pod templates, and for Postgres the label CloudNativePG puts
  on the pods of the Cluster (cnpg.io/cluster);
- adding one edge (the server's optional machine-learning need) adds that
  edge's two policies and leaves every other policy's node hash unchanged.
"""

import json
import os
import shutil
import tempfile

from e2e_support import SRC, check, finish, kix

EDGES = {  # ingress policy -> (consumer Deployment, provider, port)
    "kix-allow-immich-to-postgres-pgvector": ("immich-server", "postgres-pgvector", 5432),
    "kix-allow-immich-to-redis": ("immich-server", "redis", 6379),
    "kix-allow-immich-to-immich-ml": ("immich-server", "immich-ml", 3003),
    "kix-allow-immich-ml-to-postgres-pgvector": ("immich-ml", "postgres-pgvector", 5432),
}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def build(env, definition, out):
    kix("build", definition, "-o", out, env=env, expect=0)
    manifests = {}
    for f in sorted(os.listdir(out)):
        if f.endswith(".yaml"):
            m = json.loads(kix("canon", os.path.join(out, f), env=env, expect=0).stdout)
            manifests[(m["kind"], m["metadata"]["name"])] = m
    with open(os.path.join(out, "graph")) as f:
        nodes = {r["file"]: r["node"] for r in json.load(f)["resources"]}
    return manifests, nodes


def within(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def pod_labels(manifests, kind, name):
    return manifests[(kind, name)]["spec"]["template"]["metadata"]["labels"]


def run(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    lab = os.path.join(tmp, "immich-lab")
    shutil.copytree(os.path.join(SRC, "examples", "immich-lab"), lab)
    manifests, nodes = build(env, lab, os.path.join(tmp, "r1"))
    policies = {name: m for (kind, name), m in manifests.items() if kind == "NetworkPolicy"}
    expected = set(EDGES) | {n.replace("kix-allow-", "kix-egress-") for n in EDGES} \
        | {"kix-default-deny", "kix-allow-dns", "kix-allow-post-deploy-tests", "kix-egress-post-deploy-tests"}
    check(set(policies) == expected, f"policies: {sorted(policies)}")

    deny = policies.get("kix-default-deny", {}).get("spec", {})
    check(deny.get("podSelector") == {} and deny.get("policyTypes") == ["Ingress", "Egress"], deny)
    dns = policies.get("kix-allow-dns", {}).get("spec", {})
    check([p["port"] for p in dns.get("egress", [{}])[0].get("ports", [])] == [53, 53], dns)

    cluster = manifests[("Cluster", "postgres-pgvector")]
    provider_pods = {
        "postgres-pgvector": {"cnpg.io/cluster": cluster["metadata"]["name"]},  # the operator's label
        "redis": pod_labels(manifests, "Deployment", "redis"),
        "immich-ml": pod_labels(manifests, "Deployment", "immich-ml"),
    }
    for name, (consumer, provider, port) in EDGES.items():
        spec = policies.get(name, {}).get("spec", {})
        if not spec:
            continue
        rule = spec["ingress"][0]
        check([p["port"] for p in rule["ports"]] == [port], f"{name}: ports {rule['ports']}")
        check(within(spec["podSelector"]["matchLabels"], provider_pods[provider]),
              f"{name}: {spec['podSelector']} selects {provider}'s pods")
        check(within(rule["from"][0]["podSelector"]["matchLabels"],
                     pod_labels(manifests, "Deployment", consumer)),
              f"{name}: {rule['from']} selects {consumer}'s pods")
        egress = policies[name.replace("kix-allow-", "kix-egress-")]["spec"]
        check(egress["egress"][0]["ports"] == rule["ports"]
              and egress["podSelector"] == rule["from"][0]["podSelector"], egress)

    # One edge fewer: without the machineLearning alias the server has no
    # ML need. Adding it back adds exactly that edge's two policies.
    path = os.path.join(lab, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    check("      aliases: [machineLearning]\n" in text, "examples/immich-lab changed: update this test")
    with open(path, "w") as f:
        f.write(text.replace("      aliases: [machineLearning]\n", ""))
    fewer, fewer_nodes = build(env, lab, os.path.join(tmp, "r2"))
    before = {f: n for f, n in fewer_nodes.items() if "_NetworkPolicy_" in f}
    after = {f: n for f, n in nodes.items() if "_NetworkPolicy_" in f}
    added = sorted(set(after) - set(before))
    check(added == ["immich_NetworkPolicy_kix-allow-immich-to-immich-ml.yaml",
                    "immich_NetworkPolicy_kix-egress-immich-to-immich-ml.yaml"], added)
    changed = sorted(f for f in before if after.get(f) != before[f])
    check(changed == [], f"no other policy rehashes: {changed}")


if __name__ == "__main__":
    raise SystemExit(main())
