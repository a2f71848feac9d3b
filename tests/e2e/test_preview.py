#!/usr/bin/env python3
"""kix preview with the real binary, examples/immich as the base and a
scripted kubectl (there is no API server here):

- a copy with a new server image previews as pr-1: only the immich
  instance is built, into namespace pr-1, with DB_HOSTNAME and
  REDIS_HOSTNAME still naming the base namespace's services; the database,
  valkey and the library claim are reported as reused, with their
  resources; the preview is a generation of my-homelab.preview.pr-1, and the
  result directory holds exactly its manifests; the pods' use of the
  base's claim and of the operator-made Secret is warned about;
- --format json and markdown say the same;
- nothing changed: no preview; a bad name: a clear error;
- deployed with `kix deploy my-homelab.preview.pr-1`, `--destroy pr-1
  --dry-run` lists a delete for exactly what the preview created (the
  namespace last, the RequiredSecret-free build has nothing kept), the real
  destroy runs them and records the preview as gone, so a second destroy
  deletes nothing.
"""

import json
import os
import tempfile

from e2e_support import check, finish, immich_copy, kix, kubectl_calls, scripted_kubectl, set_image


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # where results go by default
        run(tmp)
    return finish()


def run(tmp):
    definition = immich_copy(tmp)
    kubectl = scripted_kubectl(tmp)
    log = os.path.join(tmp, "kubectl.log")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl,
               FAKE_KUBECTL_LOG=log)

    kix("build", definition, "-o", os.path.join(tmp, "base"), env=env, expect=0)

    # Nothing changed: nothing to preview.
    out = kix("preview", definition, "--base", "my-homelab", "--name", "pr-1", env=env, expect=0).stdout
    check("nothing changed against my-homelab" in out, out)
    check(not os.path.exists("result-pr-1"), "no result for an empty preview")

    bad = kix("preview", definition, "--base", "my-homelab", "--name", "PR_1", env=env, expect=2)
    check("'PR_1' is not a valid preview name" in bad.stderr, bad.stderr)

    set_image(definition, "ghcr.io/immich-app/immich-server:v1.132.0")
    result = os.path.join(tmp, "result-pr-1")
    proc = kix("preview", definition, "--base", "my-homelab", "--name", "pr-1", "-o", result,
               env=env, expect=0)
    out = proc.stdout
    check("created 1 instance" in out and "pr-1/immich (immich): Deployment/immich-server @ immich changed" in out, out)
    check("reused from the base 3 instances" in out, out)
    for reused in ("immich/immich-db (stackgres-cluster", "immich/valkey (valkey",
                   "immich/immich-library (persistent-volume-claim"):
        check(reused in out, f"{reused} reused:\n{out}")
    check("stored generation 1 of my-homelab.preview.pr-1" in out, out)
    check("PersistentVolumeClaim/immich-library, which only namespace immich has" in proc.stderr,
          proc.stderr)
    check("Secret/immich-db, which is not in the preview" in proc.stderr, proc.stderr)

    files = sorted(f for f in os.listdir(result) if f.endswith(".yaml"))
    check(all(f.startswith("pr-1_") or f == "_cluster_Namespace_pr-1.yaml" for f in files), files)
    check("pr-1_Deployment_immich-server.yaml" in files and "_cluster_Namespace_pr-1.yaml" in files, files)
    check(not any("valkey" in f or "immich-db" in f or "immich-library" in f for f in files),
          f"reused instances are not copied: {files}")
    canon = kix("canon", os.path.join(result, "pr-1_Deployment_immich-server.yaml"), env=env,
                expect=0).stdout
    server = json.loads(canon)
    container = server["spec"]["template"]["spec"]["containers"][0]
    env_vars = {e["name"]: e.get("value") for e in container["env"]}
    check(env_vars["DB_HOSTNAME"].endswith(".immich.svc.cluster.local"), env_vars)
    check(env_vars["REDIS_HOSTNAME"].endswith(".immich.svc.cluster.local"), env_vars)
    check(container["image"] == "ghcr.io/immich-app/immich-server:v1.132.0", container["image"])
    check(server["metadata"]["namespace"] == "pr-1", server["metadata"])

    log_out = kix("store", "log", "my-homelab.preview.pr-1", env=env, expect=0).stdout
    check("kix preview against my-homelab" in log_out, log_out)
    root = out.strip().splitlines()[-1]
    with open(os.path.join(result, "root")) as f:
        check(f.read().strip() == root, "the result's root is the preview's")

    # The same, for machines and for a pull request.
    report = json.loads(kix("preview", definition, "--base", "my-homelab", "--name", "pr-1", "-o", result,
                            "--format", "json", env=env, expect=0).stdout)
    check(report["namespaces"] == {"immich": "pr-1"} and report["root"] == root, report)
    check([c["instance"] for c in report["created"]] == ["immich"], report["created"])
    check(sorted(r["instance"] for r in report["reused"]) == ["immich-db", "immich-library", "valkey"],
          report["reused"])
    library = next(r for r in report["reused"] if r["instance"] == "immich-library")
    check(library["resources"] == ["PersistentVolumeClaim/immich-library @ immich"]
          and library["bytes"] > 0, library)
    check(sorted(r["instance"] for r in report["leftOut"]) == ["local-path", "stackgres-operator"]
          and len(report["crossNamespace"]) == 2, report)
    md = kix("preview", definition, "--base", "my-homelab", "--name", "pr-1", "-o", result,
             "--format", "markdown", env=env, expect=0).stdout
    check(md.startswith("### kix preview `pr-1` of `my-homelab`") and "| `pr-1/immich` | immich | changed |" in md
          and "| `immich/valkey` | valkey | reused |" in md, md)

    # Deployed, then destroyed: exactly what it created.
    kix("deploy", "my-homelab.preview.pr-1", "--context", "lab", env=env, expect=0)
    applied = set()
    for call in kubectl_calls(log):
        if "apply" in call["argv"]:
            for item in json.loads(call["stdin"])["items"]:
                applied.add((item["kind"], item["metadata"]["name"]))
    check(("Deployment", "immich-server") in applied and ("Namespace", "pr-1") in applied, applied)
    check(not any(name in ("immich-db", "valkey", "immich-library") for _, name in applied), applied)

    dry = kix("preview", "--destroy", "pr-1", definition, "--context", "lab", "--dry-run", env=env,
              expect=0).stdout
    deletes = [l for l in dry.splitlines() if " delete " in l]
    deleted = {(l.split(" delete ")[1].split()[0]) for l in deletes}
    expected = {f"{kind.lower()}/{name}" if kind in ("Namespace", "ConfigMap", "Service", "ServiceAccount")
                else f"{kind.lower()}.apps/{name}" for kind, name in applied}
    check(deleted == expected, f"deletes {deleted}, applied {expected}:\n{dry}")
    check(deletes[-1].split(" delete ")[1].startswith("namespace/pr-1"), f"the namespace last:\n{dry}")
    check(all("-n immich" not in l for l in deletes), f"nothing of the base:\n{dry}")

    before = len(kubectl_calls(log))
    out = kix("preview", "--destroy", "pr-1", definition, "--context", "lab", env=env, expect=0).stdout
    calls = kubectl_calls(log)[before:]
    check(len(calls) == len(deletes) and all("delete" in c["argv"] for c in calls), calls)
    check(f"deleted {len(deletes)} objects" in out, out)
    out = kix("preview", "--destroy", "pr-1", definition, "--context", "lab", env=env, expect=0).stdout
    check("nothing to delete" in out, out)
    missing = kix("preview", "--destroy", "pr-9", definition, env=env, expect=2)
    check("there is no preview 'pr-9' of cluster my-homelab" in missing.stderr, missing.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
