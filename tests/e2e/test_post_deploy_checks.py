#!/usr/bin/env python3
"""kix test with the real binary, examples/immich-lab and a scripted
kubectl that keeps what it is given (there is no API server here):

- `kix plan` lists the checks: the 4 edges and the two pings;
- `kix test --dry-run` shows each Job (busybox, the consumer's pod labels
  for an edge) and the kubectl commands; an edit that changes no check
  keeps every Job's name (tests/unit: a changed port is a new Job);
- every check passes when each Job completes: exit 0, passed Jobs deleted;
- one Job failing makes `kix test` exit 1 naming the failing edge, its Job
  kept for `kubectl logs`;
- `kix deploy --test` deploys, then runs the same checks.
"""

import json
import os
import shutil
import tempfile

from e2e_support import SRC, check, finish, kix, kubectl_calls, scripted_kubectl

EDGE = "immich/immich -> immich/postgres-pgvector"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    lab = os.path.join(tmp, "immich-lab")
    shutil.copytree(os.path.join(SRC, "examples", "immich-lab"), lab)
    kubectl = scripted_kubectl(tmp)
    log = os.path.join(tmp, "kubectl.log")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl,
               FAKE_KUBECTL_LOG=log, FAKE_CLUSTER=os.path.join(tmp, "cluster.json"))

    plan = kix("plan", lab, env=env, expect=0).stdout
    names = [EDGE, "immich/immich -> immich/redis", "immich/immich -> immich/immich-ml",
             "immich/immich-ml -> immich/postgres-pgvector", "immich/immich: ping", "immich/immich-ml: ping"]
    for n in names:
        check(f"  {n}  (Job kix-check-" in plan, f"plan lists {n}:\n{plan}")

    checks = json.loads(kix("test", lab, "--dry-run", "--format", "json", env=env, expect=0).stdout)
    check([c["name"] for c in checks] == names, [c["name"] for c in checks])
    jobs = {c["name"]: c["job"] for c in checks}
    edge = jobs[EDGE]
    container = edge["spec"]["template"]["spec"]["containers"][0]
    check(container["image"].startswith("docker.io/library/busybox:")
          and {e["name"]: e["value"] for e in container["env"]}
          == {"HOST": "postgres-pgvector-rw.immich.svc.cluster.local", "PORT": "5432"}, container)
    labels = edge["spec"]["template"]["metadata"]["labels"]
    check(labels.get("app.kubernetes.io/instance") == "immich" and labels.get("app.kubernetes.io/name") == "immich",
          f"the edge's check runs as the consumer: {labels}")
    ping = jobs["immich/immich: ping"]["spec"]["template"]["spec"]["containers"][0]["env"]
    check({e["name"]: e["value"] for e in ping}["URL"].endswith(":2283/api/server/ping"), ping)

    # An edit that changes no check keeps the Jobs' names.
    path = os.path.join(lab, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("      aliases: [valkey]\n", "      aliases: [valkey]\n      # same\n"))
    again = {c["name"]: c["job"]["metadata"]["name"]
             for c in json.loads(kix("test", lab, "--dry-run", "--format", "json", env=env, expect=0).stdout)}
    check(again == {n: j["metadata"]["name"] for n, j in jobs.items()}, "same checks, same Job names")

    out = kix("test", lab, "--context", "lab", env=env, expect=0).stdout
    check(out.count("passed") == 6, out)
    calls = kubectl_calls(log)
    applied = [json.loads(c["stdin"])["metadata"]["name"] for c in calls if "apply" in c["argv"]]
    check(sorted(applied) == sorted(j["metadata"]["name"] for j in jobs.values()), applied)
    deleted_after = [c for c in calls if "delete" in c["argv"] and "--wait=false" in c["argv"]]
    check(len(deleted_after) == 6, "passed Jobs are deleted")

    failing = jobs[EDGE]["metadata"]["name"]
    env_fail = dict(env, FAKE_STATUS=json.dumps(
        {f"Job/{failing}": {"conditions": [{"type": "Failed", "status": "True",
                                            "reason": "BackoffLimitExceeded",
                                            "message": "Job has reached the specified backoff limit"}]}}))
    proc = kix("test", lab, "--context", "lab", env=env_fail, expect=1)
    check(f"FAILED       {EDGE}: Degraded" in proc.stdout and f"kubectl logs job/{failing} -n immich" in proc.stdout,
          proc.stdout)
    report = json.loads(kix("test", lab, "--context", "lab", "--format", "json", env=env_fail, expect=1).stdout)
    check([r["name"] for r in report if r["outcome"] == "failed"] == [EDGE], report)

    out = kix("deploy", lab, "--context", "lab", "--test", env=env, expect=0).stdout
    check("deployed immich-lab" in out and out.count("passed") == 6, out)
    dry = kix("deploy", lab, "--context", "lab", "--test", "--dry-run", env=env, expect=0).stdout
    check("post-deploy check(s)" in dry and EDGE in dry, dry)


if __name__ == "__main__":
    raise SystemExit(main())
