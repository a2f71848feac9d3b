#!/usr/bin/env python3
"""Deploy records for audits, with the real binary and a scripted kubectl
(no API server here):

- a definition in a git work tree: `kix build` and `kix deploy` record the
  commit as the source revision (with +dirty for uncommitted changes), and
  `--source-revision` overrides it;
- `kix store deployments` lists both deploys with their revisions, oldest
  first, `--since` filters by date or age, `--format json` for machines;
- a deploy that fails in wave 2 is recorded as partial (2 of N waves),
  shown so by `kix store deployments` and `kix store log`;
- `kix diff NAME` with nothing to compare with reads the cluster (kubectl).
"""

import json
import os
import subprocess
import sys
import tempfile

from e2e_support import check, finish, immich_copy, kix, scripted_kubectl

def commit(cwd, message):
    """Commits every change in `cwd` and returns the commit."""
    for args in (["add", "-A"], ["commit", "-qm", message]):
        subprocess.run(["git", "-c", "user.email=kix@example.org", "-c", "user.name=kix", *args], cwd=cwd,
                       check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    definition = immich_copy(tmp)
    subprocess.run(["git", "init", "-q", definition], check=True)
    first = commit(definition, "first")
    kubectl = scripted_kubectl(tmp)
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl)

    kix("deploy", definition, "--context", "lab", env=env, expect=0)
    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("size: 200Gi", "size: 300Gi"))
    kix("build", definition, "-o", os.path.join(tmp, "dirty"), env=env, expect=0)
    with open(path, "w") as f:
        f.write(text.replace("size: 200Gi", "size: 350Gi"))
    second = commit(definition, "bigger library")
    kix("deploy", definition, "--context", "lab", env=env, expect=0)

    log = json.loads(kix("store", "log", "my-homelab", "--format", "json", env=env, expect=0).stdout)
    check([g["sourceRevision"] for g in log] == [first, first + "+dirty", second], log)

    records = json.loads(kix("store", "deployments", "--format", "json", env=env, expect=0).stdout)
    check([(r["sourceRevision"], r["outcome"], r["context"]) for r in records] ==
          [(first, "complete", "lab"), (second, "complete", "lab")], records)
    text_out = kix("store", "deployments", "my-homelab", env=env, expect=0).stdout
    check(text_out.count("\n") == 2 and f"[{second}]" in text_out and "my-homelab@3" in text_out, text_out)
    check(kix("store", "deployments", "--since", "2000-01-01", "--format", "json", env=env,
              expect=0).stdout == kix("store", "deployments", "--format", "json", env=env).stdout, "--since a date")
    check(json.loads(kix("store", "deployments", "--since", "2999-01-01", "--format", "json",
                         env=env, expect=0).stdout) == [], "--since the future")
    kix("store", "deployments", "--since", "yesterday-ish", env=env, expect=2)
    kix("store", "deployments", "nothing", env=env, expect=2)

    # A deploy that fails in wave 2 (the SGCluster's wave): partial.
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("size: 350Gi", "size: 400Gi"))
    plan = json.loads(kix("plan", definition, "--format", "json", env=env, expect=0).stdout)
    wave_of = {f"{r['kind']}/{r['name']}": w["wave"] for w in plan["waves"] for r in w["resources"]}
    failing = wave_of["PersistentVolumeClaim/immich-library"]
    err = kix("deploy", definition, "--context", "lab", "--source-revision", "hand-made",
              env=dict(env, FAKE_KUBECTL_FAIL_ON="400Gi"), expect=2).stderr
    check(f"in wave {failing}" in err, err)
    records = json.loads(kix("store", "deployments", "--format", "json", env=env, expect=0).stdout)
    last = records[-1]
    check(last["outcome"] == "partial" and last["wavesApplied"] == failing and
          last["wavesTotal"] == len(plan["waves"]) and last["sourceRevision"] == "hand-made", records)
    check(f"partial: {failing} of {len(plan['waves'])} waves" in
          kix("store", "deployments", env=env, expect=0).stdout, "text shows the partial deploy")
    check(f"(current, deployed partially: {failing} of {len(plan['waves'])} waves)" in
          kix("store", "log", "my-homelab", env=env, expect=0).stdout, "store log shows it")

    # kix diff with nothing to compare with: the cluster.
    out = kix("diff", "my-homelab", "--context", "lab", "--format", "json", env=env, expect=1).stdout
    check(json.loads(out)["mode"] == "live", out)


if __name__ == "__main__":
    sys.exit(main())
