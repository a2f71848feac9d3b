#!/usr/bin/env python3
"""kix canary with the real binary and examples/immich as the base:

- a new server image with --replicas 1 adds exactly one resource,
  Deployment/immich-server-<hash> (the new version's node hash), selected
  by the base's selector labels plus kix.dev/canary, with 1 replica; the
  canary's generation differs from the base by that one resource and
  nothing else (`kix store diff`), and -o holds only it;
- --weight 20 --gateway adds a Service selecting only the canary's pods and
  an HTTPRoute sending 80/20 to the base's Service and the canary's;
- a change to the ConfigMap the server reads cannot be a canary (the copy
  would run against the base's ConfigMap): a clear error;
- --promote refuses a working tree the canary does not run, and records
  the one it does (the root `kix build` gives it); --abort records the
  base's root again.
"""

import json
import os
import tempfile

from e2e_support import check, finish, immich_copy, kix


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # where results go by default
        run(tmp)
    return finish()


def edit(definition, old, new):
    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    check(old in text, "examples/immich changed: update this test")
    with open(path, "w") as f:
        f.write(text.replace(old, new))


IMMICH = "    immich:\n      package: immich\n"


def manifests(kix_env, directory):
    files = sorted(f for f in os.listdir(directory) if f.endswith(".yaml"))
    return {f: json.loads(kix("canon", os.path.join(directory, f), env=kix_env, expect=0).stdout)
            for f in files}


def run(tmp):
    definition = immich_copy(tmp)
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    base_out = kix("build", definition, "-o", os.path.join(tmp, "base"), env=env, expect=0).stdout
    base_root = base_out.strip().splitlines()[-1]
    base = manifests(env, os.path.join(tmp, "base"))
    base_server = base["immich_Deployment_immich-server.yaml"]

    nothing = kix("canary", definition, "--base", "my-homelab", "--replicas", "1", env=env, expect=2)
    check("nothing to canary: no Deployment of the base changed" in nothing.stderr, nothing.stderr)

    edit(definition, IMMICH, IMMICH + "      config:\n        image: ghcr.io/immich-app/immich-server:v1.132.0\n")
    out_dir = os.path.join(tmp, "canary")
    proc = kix("canary", definition, "--base", "my-homelab", "--replicas", "1", "-o", out_dir,
               env=env, expect=0)
    added = manifests(env, out_dir)
    check(len(added) == 1, f"only the canary is written: {sorted(added)}")
    (name, copy), = added.items() if len(added) == 1 else [(None, {})]
    canary_name = copy.get("metadata", {}).get("name", "")
    suffix = canary_name.removeprefix("immich-server-")
    check(copy.get("kind") == "Deployment" and len(suffix) == 10
          and all(c in "0123456789abcdef" for c in suffix), canary_name)
    match = copy["spec"]["selector"]["matchLabels"]
    base_match = base_server["spec"]["selector"]["matchLabels"]
    check(all(match.get(k) == v for k, v in base_match.items()) and match.get("kix.dev/canary") == suffix,
          f"the base's selector labels and the canary's: {match}")
    labels = copy["spec"]["template"]["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in base_match.items()), labels)
    check(copy["spec"]["replicas"] == 1, copy["spec"])
    check(copy["spec"]["template"]["spec"]["containers"][0]["image"]
          == "ghcr.io/immich-app/immich-server:v1.132.0", copy["spec"])
    check(f"Deployment/immich-server-{suffix} @ immich: 1 replica beside Deployment/immich-server @ immich (1)"
          in proc.stdout and "behind Service/immich-server @ immich (1 of 2 pods)" in proc.stdout, proc.stdout)

    # Nothing else changes: generation 2 is generation 1 plus the canary.
    diff = json.loads(kix("store", "diff", "my-homelab@1", "my-homelab@2", "--format", "json", env=env).stdout)
    changes = [r for r in diff["resources"] if r["status"] != "identical"]
    check([(r["status"], r["kind"], r["name"]) for r in changes]
          == [("added", "Deployment", "immich-server-" + suffix)], json.dumps(diff, indent=1))

    # Weighted: a Service of its own and an HTTPRoute on the Gateway.
    weighted = os.path.join(tmp, "weighted")
    proc = kix("canary", definition, "--base", "my-homelab@1", "--weight", "20", "--gateway", "infra/web",
               "--hostname", "photos.example.org", "-o", weighted, "--format", "json", env=env, expect=0)
    report = json.loads(proc.stdout)
    added = manifests(env, weighted)
    kinds = sorted(m["kind"] for m in added.values())
    check(kinds == ["Deployment", "HTTPRoute", "Service"], kinds)
    route = next(m for m in added.values() if m["kind"] == "HTTPRoute")
    refs = route["spec"]["rules"][0]["backendRefs"]
    check([(r["name"], r["weight"]) for r in refs] == [("immich-server", 80), (f"immich-server-{suffix}", 20)]
          and route["spec"]["parentRefs"] == [{"name": "web", "namespace": "infra"}]
          and route["spec"]["hostnames"] == ["photos.example.org"], route)
    service = next(m for m in added.values() if m["kind"] == "Service")
    pods = next(m for m in added.values() if m["kind"] == "Deployment")["spec"]["template"]["metadata"]["labels"]
    base_service = base["immich_Service_immich-server.yaml"]["spec"]["selector"]
    check(all(pods.get(k) == v for k, v in service["spec"]["selector"].items()), "its Service selects its pods")
    check(not all(pods.get(k) == v for k, v in base_service.items()), "the base's Service does not")
    check(report["mode"] == "weight" and report["workloads"][0]["hash"] == suffix, report)
    bad = kix("canary", definition, "--base", "my-homelab@1", "--weight", "20", env=env, expect=2)
    check("--weight needs --gateway" in bad.stderr, bad.stderr)

    # Promote: only the tree the canary runs.
    kix("canary", definition, "--base", "my-homelab@1", "--replicas", "1", env=env, expect=0)
    edit(definition, "v1.132.0", "v1.133.0")
    bad = kix("canary", definition, "--promote", env=env, expect=2)
    check("the working tree is not what the canary runs" in bad.stderr, bad.stderr)
    edit(definition, "v1.133.0", "v1.132.0")
    check(os.path.isdir("result-canary"), "the default result directory, in the working directory")
    promoted = kix("canary", definition, "--promote", env=env, expect=0).stdout
    check(f"Deployment/immich-server-{suffix} @ immich" in promoted, promoted)
    built = kix("build", definition, "-o", os.path.join(tmp, "after"), env=env, expect=0).stdout
    check(promoted.strip().splitlines()[-1] == built.strip().splitlines()[-1],
          f"promote records the working tree's root:\n{promoted}\n{built}")
    bad = kix("canary", definition, "--abort", env=env, expect=2)
    check("is not a canary" in bad.stderr, bad.stderr)

    # Abort: the base again.
    kix("canary", definition, "--base", "my-homelab@1", "--replicas", "2", env=env, expect=0)
    aborted = kix("canary", definition, "--abort", env=env, expect=0).stdout
    check(aborted.strip().splitlines()[-1] == base_root, f"abort records the base's root:\n{aborted}")

    # A config change cannot run side by side.
    edit(definition, IMMICH + "      config:\n", IMMICH + "      config:\n        env: {LOG_LEVEL: debug}\n")
    bad = kix("canary", definition, "--base", "my-homelab@1", "--replicas", "1", env=env, expect=2)
    check("uses ConfigMap/immich @ immich, which is new or changed too" in bad.stderr, bad.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
