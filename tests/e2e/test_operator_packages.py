#!/usr/bin/env python3
"""The operator packages cert-manager and stackgres-operator with the real
binary, the real helm and a real local chart repository serving the
stand-in charts of tests/fixtures/charts (no archive of the upstream charts
is at hand; see that directory's README):

- `kix lock` records each chart under its upstream repository, and the
  build renders it;
- `kix plan` puts the StackGres operator's CRD and Deployment in waves
  before the SGCluster, and cert-manager's post-install check after the
  webhook it waits for;
- the SGCluster is validated against the CRD the operator's chart installs
  (not only kix's minimal schema): a field that CRD rejects fails the build;
- an SGCluster in a namespace the operator does not watch is an error that
  names the namespace; one without any operator is a warning with the fix.
"""

import json
import os
import sys
import tempfile

from e2e_support import STAND_IN_CHARTS, ChartRepository, check, finish, kix

DEFINITION = """cluster: operators
infrastructure:
  cert-manager:
    package: cert-manager
    namespace: cert-manager
    aliases: [certManager]
  stackgres-operator:
    package: stackgres-operator
    namespace: stackgres
    aliases: [stackgresOperator]
    config: {allowedNamespaces: %s}
instances:
  db:
    pg:
      package: stackgres-cluster
"""


def write(work, allowed):
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "cluster.yaml"), "w") as f:
        f.write(DEFINITION % allowed)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        repo = ChartRepository(tmp)
        repo.publish_stand_ins()
        with repo:
            run(tmp, repo)
    return finish()


def run(tmp, repo):
    work = os.path.join(tmp, "def")
    write(work, "[]")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), NO_COLOR="1", **repo.env())

    kix("lock", work, env=env, expect=0)
    with open(os.path.join(work, "kix.lock")) as f:
        lock = json.load(f)
    charts = {(c["repository"], c["name"], c["version"]) for c in lock.get("charts", [])}
    check(charts == {("https://charts.jetstack.io", "cert-manager", "v1.19.1"),
                     ("https://stackgres.io/downloads/stackgres-k8s/stackgres/helm", "stackgres-operator",
                      "1.18.8")}, f"the lock names the upstream charts: {charts}")

    out = os.path.join(tmp, "out")
    proc = kix("build", work, "-o", out, env=env, expect=0)
    # Images cannot be pinned here (their registries are not reachable).
    warnings = [l for l in proc.stderr.splitlines() if "warning:" in l and "is not pinned" not in l]
    check(not warnings, proc.stderr)
    files = set(os.listdir(out))
    for name in ("_cluster_CustomResourceDefinition_sgclusters.stackgres.io.yaml",
                 "stackgres_Deployment_stackgres-operator.yaml",
                 "cert-manager_Deployment_cert-manager-webhook.yaml",
                 "_cluster_CustomResourceDefinition_certificates.cert-manager.io.yaml"):
        check(name in files, f"{name} is emitted: {sorted(files)}")

    plan = json.loads(kix("plan", work, "--format", "json", env=env, expect=0).stdout)
    wave_of = {f"{r['kind']}/{r['name']}": w["wave"] for w in plan["waves"] for r in w["resources"]}
    sgcluster = wave_of.get("SGCluster/pg", -1)
    check(wave_of.get("CustomResourceDefinition/sgclusters.stackgres.io", 99) < sgcluster and
          wave_of.get("Deployment/stackgres-operator", 99) < sgcluster,
          f"the operator comes before the SGCluster: {wave_of}")
    check(wave_of.get("Deployment/cert-manager-webhook", 99) < wave_of.get("Job/cert-manager-startupapicheck", -1),
          f"cert-manager's post-install check runs after the webhook: {wave_of}")

    # The chart's CRD validates the SGCluster, not only kix's minimal
    # schema: the stand-in's, like upstream's, takes binary size suffixes
    # only, so 10G (a quantity Kubernetes accepts) fails the build here and
    # passes with the operator installed apart.
    sized = DEFINITION.replace("package: stackgres-cluster", "package: stackgres-cluster\n      config: {storageSize: 10G}")
    with open(os.path.join(work, "cluster.yaml"), "w") as f:
        f.write(sized % "[]")
    proc = kix("build", work, "-o", os.path.join(tmp, "bad"), env=env, expect=1)
    check("/spec/pods/persistentVolume/size" in proc.stderr and "SGCluster 'pg'" in proc.stderr, proc.stderr)
    apart = os.path.join(tmp, "apart")
    os.makedirs(apart)
    with open(os.path.join(apart, "cluster.yaml"), "w") as f:
        f.write("cluster: apart\ninfrastructure:\n  sg:\n    external: true\n    aliases: [stackgresOperator]\n"
                "    out: {ready: stackgres/Deployment/stackgres-operator}\n"
                "instances:\n  db:\n    pg:\n      package: stackgres-cluster\n      config: {storageSize: 10G}\n")
    kix("build", apart, "-o", os.path.join(tmp, "apart-out"), env=env, expect=0)

    # A namespace the operator does not watch.
    write(work, "[stackgres]")
    proc = kix("build", work, "-o", os.path.join(tmp, "unwatched"), env=env, expect=1)
    check("does not watch namespace 'db'" in proc.stderr and "allowedNamespaces" in proc.stderr, proc.stderr)

    # No operator at all: a warning that says what to add.
    alone = os.path.join(tmp, "alone")
    os.makedirs(alone)
    with open(os.path.join(alone, "cluster.yaml"), "w") as f:
        f.write("cluster: alone\ninstances:\n  db:\n    pg:\n      package: stackgres-cluster\n")
    proc = kix("build", alone, "-o", os.path.join(tmp, "alone-out"), env=env, expect=0)
    check("installs the StackGres operator" in proc.stderr and "stackgres-operator" in proc.stderr, proc.stderr)


if __name__ == "__main__":
    sys.exit(main())
