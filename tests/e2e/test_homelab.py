#!/usr/bin/env python3
"""examples/homelab (seed 000's level 4) with the real binary: immich and
paperless build in two namespaces sharing the infrastructure module; each
resolves its own postgres and storage in its namespace and gets its own
auto-instantiated valkey; both claims take the shared StorageClass; each
namespace gets a default deny and one NetworkPolicy per edge."""

import json
import os
import tempfile

from e2e_support import SRC, check, finish, kix


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    out = os.path.join(tmp, "result")
    proc = kix("build", os.path.join(SRC, "examples", "homelab"), "-o", out, env=env, expect=0)
    check(proc.stderr == "", f"no warnings:\n{proc.stderr}")
    for line in ('    postgres → immich-db (alias "postgres" in namespace immich)',
                 '    postgres → paperless-db (alias "postgres" in namespace paperless)',
                 "auto-instantiated immich/valkey", "auto-instantiated paperless/valkey",
                 "    storageClass → local-path (from the cluster infrastructure)"):
        check(line in proc.stdout, f"{line!r} in:\n{proc.stdout}")
    m = {}
    for f in os.listdir(out):
        if f.endswith(".yaml"):
            o = json.loads(kix("canon", os.path.join(out, f), env=env, expect=0).stdout)
            m[(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])] = o
    for ns, claim in (("immich", "immich-library"), ("paperless", "paperless-data")):
        check(m[("PersistentVolumeClaim", ns, claim)]["spec"].get("storageClassName") == "local-path",
              f"{claim} takes the shared class")
        check(("StatefulSet", ns, "valkey") in m, f"{ns} has its own valkey")
    config = m[("ConfigMap", "paperless", "paperless")]["data"]
    check(config["PAPERLESS_DBHOST"] == "paperless-db-rw.paperless.svc.cluster.local"
          and config["PAPERLESS_REDIS"] == "redis://valkey.paperless.svc.cluster.local:6379", config)
    policies = sorted((ns, name) for kind, ns, name in m if kind == "NetworkPolicy")
    check(policies == [("immich", "kix-allow-immich-to-immich-db"), ("immich", "kix-allow-immich-to-valkey"),
                       ("immich", "kix-allow-post-deploy-tests"), ("immich", "kix-default-deny"),
                       ("paperless", "kix-allow-paperless-to-paperless-db"),
                       ("paperless", "kix-allow-paperless-to-valkey"), ("paperless", "kix-default-deny")],
          policies)
    check(("GeneratedSecret", "paperless", "paperless-secret-key") in m, "the secret key is generated")


if __name__ == "__main__":
    raise SystemExit(main())
