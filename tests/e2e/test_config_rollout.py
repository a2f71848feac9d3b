#!/usr/bin/env python3
"""Pods roll when only their configuration changes (docs/hashing.md §7):

- examples/immich's server Deployment carries kix.dev/config-hash, equal to
  the formula of docs/hashing.md computed here from the result directory;
- changing only the ConfigMap (the immich instance's `env`) changes the
  Deployment's bytes (that annotation), not merely its dependencies;
- the next `kix deploy` (a scripted kubectl; no API server here) applies
  the Deployment with the new pod template annotation, which is what makes
  Kubernetes roll its pods;
- plain manifests added with `kix store add` are stored as they are.
"""

import hashlib
import json
import os
import sys
import tempfile

from e2e_support import check, finish, immich_copy, kix, scripted_kubectl

def config_hash(result, consumed):
    lines = set()
    for name in consumed:
        path = os.path.join(result, name)
        canonical = kix("canon", path).stdout.splitlines()[0]
        obj = json.loads(canonical)
        blob = hashlib.sha256(canonical.encode()).hexdigest()
        lines.add(f"{obj['kind']}/{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']} {blob}\n")
    return "sha256:" + hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def annotation(result):
    with open(os.path.join(result, "immich_Deployment_immich-server.yaml")) as f:
        for line in f:
            if "kix.dev/config-hash:" in line:
                return line.split(":", 1)[1].strip()
    return None


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    definition = immich_copy(tmp)
    kubectl = scripted_kubectl(tmp)
    log = os.path.join(tmp, "kubectl.log")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl, FAKE_KUBECTL_LOG=log)

    first = os.path.join(tmp, "first")
    kix("build", definition, "-o", first, env=env, expect=0)
    before = annotation(first)
    check(before == config_hash(first, ["immich_ConfigMap_immich.yaml"]),
          f"the annotation follows docs/hashing.md §7: {before}")
    kix("deploy", definition, "--context", "lab", env=env, expect=0)

    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("      package: immich\n", "      package: immich\n      config: {env: {LOG_LEVEL: debug}}\n", 1))
    second = os.path.join(tmp, "second")
    kix("build", definition, "-o", second, env=env, expect=0)
    after = annotation(second)
    check(after and after != before and after == config_hash(second, ["immich_ConfigMap_immich.yaml"]),
          f"a new ConfigMap, a new annotation: {before} -> {after}")
    report = json.loads(kix("diff", definition, "--against", "my-homelab@1", "--format", "json",
                            env=env, expect=1).stdout)
    server = [r for r in report["resources"] if r["name"] == "immich-server" and r["kind"] == "Deployment"]
    check(server and server[0]["status"] == "modified" and
          [c["path"] for c in server[0]["changes"]] == ["$.spec.template.metadata.annotations['kix.dev/config-hash']"],
          f"the Deployment's bytes changed by the annotation alone: {server}")

    open(log, "w").close()
    kix("deploy", definition, "--context", "lab", env=env, expect=0)
    with open(log) as f:
        applied = [json.loads(line) for line in f]
    deployments = [item for call in applied if call["stdin"]
                   for item in json.loads(call["stdin"])["items"] if item["kind"] == "Deployment"]
    check(any(d["spec"]["template"]["metadata"]["annotations"].get("kix.dev/config-hash") == after
              for d in deployments), "the deploy applies the new pod template")

    # Plain manifests are stored as they are.
    plain = os.path.join(tmp, "plain")
    os.mkdir(plain)
    for name in ("immich_ConfigMap_immich.yaml", "immich_Deployment_immich-server.yaml"):
        with open(os.path.join(first, name)) as f:
            text = f.read()
        with open(os.path.join(plain, name), "w") as f:
            f.write("".join(l for l in text.splitlines(True) if "kix.dev/config-hash" not in l))
    kix("store", "add", "--cluster", "plain", plain, env=env, expect=0)
    listing = json.loads(kix("store", "ls", "plain", "--format", "json", env=env, expect=0).stdout)
    node = next(r["node"] for r in listing if r["kind"] == "Deployment")
    check("config-hash" not in kix("store", "cat", node, env=env, expect=0).stdout,
          "kix store add does not rewrite what it did not compile")


if __name__ == "__main__":
    sys.exit(main())
