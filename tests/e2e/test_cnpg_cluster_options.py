#!/usr/bin/env python3
"""cnpg-cluster's options beyond the defaults, built and validated against
CloudNativePG's own schema:

- resources, pg_hba lines and application SQL land in the Cluster;
- backup to volume snapshots: spec.backup and a ScheduledBackup of the
  cluster with its schedule; to an object store: barman settings with the
  credentials Secret's keys;
- a wrong schedule and an object store without credentials are errors;
- without any of them the Cluster is as before (the package's golden test).
"""

import json
import os
import tempfile

from e2e_support import check, finish, kix

HEAD = """cluster: cn
availablePackages: []
infrastructure:
  cnpg-operator: { external: true, aliases: [cnpgOperator], out: { ready: cnpg-system/Deployment/cnpg } }
instances:
  data:
"""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def build(tmp, env, name, instances, expect):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    with open(os.path.join(d, "cluster.yaml"), "w") as f:
        f.write(HEAD + instances)
    proc = kix("build", d, "-o", os.path.join(d, "result"), env=env, expect=expect)
    out = {}
    if expect == 0:
        result = os.path.join(d, "result")
        for f in os.listdir(result):
            if f.endswith(".yaml"):
                m = json.loads(kix("canon", os.path.join(result, f), env=env, expect=0).stdout)
                out[(m["kind"], m["metadata"]["name"])] = m
    return proc, out


def run(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    _, m = build(tmp, env, "ok", """    snap:
      package: cnpg-cluster
      config:
        resources: { requests: { cpu: 500m, memory: 1Gi } }
        applicationSQL: ["CREATE TABLE embeddings (id BIGSERIAL PRIMARY KEY, embedding vector(512));"]
        pgHba: ["host immich immich 10.71.0.0/24 scram-sha-256"]
        backup: { schedule: "0 30 2 * * *" }
    s3:
      package: cnpg-cluster
      config:
        backup: { method: barmanObjectStore, destinationPath: "s3://backups/s3", s3CredentialsSecret: minio }
""", 0)
    spec = m[("Cluster", "snap")]["spec"]
    check(spec["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}}, spec)
    check(spec["postgresql"]["pg_hba"] == ["host immich immich 10.71.0.0/24 scram-sha-256"], spec)
    check(spec["bootstrap"]["initdb"]["postInitApplicationSQL"]
          == ["CREATE TABLE embeddings (id BIGSERIAL PRIMARY KEY, embedding vector(512));"], spec)
    check(spec["backup"] == {"volumeSnapshot": {}, "retentionPolicy": "30d"}, spec["backup"])
    scheduled = m[("ScheduledBackup", "snap")]["spec"]
    check(scheduled == {"schedule": "0 30 2 * * *", "method": "volumeSnapshot",
                        "backupOwnerReference": "self", "cluster": {"name": "snap"}}, scheduled)
    barman = m[("Cluster", "s3")]["spec"]["backup"]["barmanObjectStore"]
    check(barman["destinationPath"] == "s3://backups/s3"
          and barman["s3Credentials"]["accessKeyId"] == {"name": "minio", "key": "ACCESS_KEY_ID"}, barman)

    proc, _ = build(tmp, env, "bad-schedule", """    db: { package: cnpg-cluster, config: { backup: { schedule: "0 3 * * *" } } }
""", 1)
    check("backup.schedule '0 3 * * *' is not a six-field cron expression" in proc.stderr, proc.stderr)
    proc, _ = build(tmp, env, "no-credentials", """    db: { package: cnpg-cluster, config: { backup: { method: barmanObjectStore } } }
""", 1)
    check("backups to an object store need backup.destinationPath and backup.s3CredentialsSecret"
          in proc.stderr, proc.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
