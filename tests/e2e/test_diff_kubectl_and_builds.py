#!/usr/bin/env python3
"""kix diff --kubectl (a scripted kubectl serves the live objects) and
kix diff --against (two builds: content changes apart from dependency-only
changes)."""

import json
import os
import shutil
import sys
import tempfile

from e2e_support import SRC, check, finish, kix, kubectl_calls, scripted_kubectl

DESIRED = os.path.join(SRC, "tests/e2e/fixtures/diff/desired")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
        canon = kix("canon", *sorted(os.path.join(DESIRED, f) for f in os.listdir(DESIRED)), env=env, expect=0).stdout
        objects = [json.loads(line) for line in canon.splitlines()]

        # --- kubectl ---------------------------------------------------------
        live = [dict(o) for o in objects if not (o["kind"] == "Service" and o["metadata"]["name"] == "valkey")]
        for o in live:
            if o["kind"] == "Secret":
                o["data"] = {"password": "Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5"}
                del o["stringData"]
        live_file = os.path.join(tmp, "live.json")
        with open(live_file, "w") as f:
            json.dump({"items": live}, f)
        kubectl = scripted_kubectl(tmp)
        log = os.path.join(tmp, "kubectl.log")
        kenv = dict(env, KIX_KUBECTL=kubectl, FAKE_LIVE=live_file, FAKE_KUBECTL_LOG=log)
        report = json.loads(kix("diff", DESIRED, "--kubectl", "--context", "kind-test", "--format", "json",
                                env=kenv, expect=1).stdout)
        check(report["summary"] == {"identical": 8, "modified": 0, "kix-only": 1, "cluster-only": 0},
              f"kubectl summary: {report['summary']}")
        calls = [c["argv"] for c in kubectl_calls(log)]
        check(all(c[:3] == ["--context", "kind-test", "get"] for c in calls), f"kubectl calls: {calls}")
        check(any("-n" in c and "immich" in c for c in calls), f"namespaced get missing: {calls}")

        # --- builds ----------------------------------------------------------
        base_dir = os.path.join(tmp, "base")
        shutil.copytree(DESIRED, base_dir)
        kix("store", "add", "--cluster", "demo", base_dir, env=env, expect=0)
        # Change the ConfigMap's content: the Deployment that reads it (envFrom)
        # changes only through its dependency.
        new_dir = os.path.join(tmp, "new")
        shutil.copytree(DESIRED, new_dir)
        server = os.path.join(new_dir, "server.yaml")
        with open(server) as f:
            text = f.read()
        with open(server, "w") as f:
            f.write(text.replace("valkey.immich.svc.cluster.local", "valkey-2.immich.svc.cluster.local"))
        out = kix("diff", new_dir, "--against", "demo", env=env, expect=1).stdout
        check("~ ConfigMap/immich @ immich" in out, f"content change missing:\n{out}")
        check("$.data.REDIS_HOSTNAME:" in out and "new:  valkey-2.immich.svc.cluster.local" in out,
              f"ConfigMap values missing:\n{out}")
        check("* Deployment/immich-server @ immich (only a dependency changed: ConfigMap/immich @ immich)" in out,
              f"dependency-only change missing:\n{out}")
        report = json.loads(kix("diff", new_dir, "--against", "demo", "--format", "json", env=env, expect=1).stdout)
        check(report["mode"] == "builds" and report["summary"]["modified"] == 1 and
              report["summary"]["dependency-changed"] >= 1, f"builds summary: {report['summary']}")
        kix("diff", base_dir, "--against", "demo", env=env, expect=0)
        proc = kix("diff", "no-such-cluster", "--against", "demo", env=env, expect=2)
        check("no-such-cluster" in proc.stderr, proc.stderr)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
