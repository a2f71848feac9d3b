#!/usr/bin/env python3
"""Immutable fields, with the real binary and a scripted kubectl (no API
server here): examples/immich deployed, then its StorageClass's provisioner
changed (a field Kubernetes does not update):

- `kix diff --against` marks the StorageClass "requires replace" and the
  field "(immutable)"; JSON has requiresReplace; `kix plan` lists it;
- `kix deploy` stops before the first wave, naming the object and field,
  and runs nothing;
- `kix deploy --replace --dry-run` deletes the StorageClass right before
  the apply of its wave; the real run does exactly that, and records.
"""

import json
import os
import sys
import tempfile

from e2e_support import check, finish, immich_copy, kix, kubectl_calls, scripted_kubectl

def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    definition = immich_copy(tmp)
    kubectl = scripted_kubectl(tmp)
    log = os.path.join(tmp, "kubectl.log")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl, FAKE_KUBECTL_LOG=log)
    kix("deploy", definition, "--context", "lab", env=env, expect=0)

    path = os.path.join(definition, "infrastructure.yaml")
    with open(path) as f:
        text = f.read()
    check("provisioner: rancher.io/local-path" in text, "examples/immich changed: update this test")
    with open(path, "w") as f:
        f.write(text.replace("provisioner: rancher.io/local-path", "provisioner: nfs.csi.k8s.io"))

    out = kix("diff", definition, "--against", "my-homelab", env=env, expect=1).stdout
    check("~ StorageClass/local-path (requires replace)" in out and "$.provisioner:  (immutable)" in out
          and "requires replace:   1" in out, out)
    report = json.loads(kix("diff", definition, "--against", "my-homelab", "--format", "json",
                            env=env, expect=1).stdout)
    sc = [r for r in report["resources"] if r["kind"] == "StorageClass"]
    check(sc and sc[0]["requiresReplace"] == ["$.provisioner"] and report["summary"]["requires-replace"] == 1,
          report)
    plan = json.loads(kix("plan", definition, "--context", "lab", "--format", "json", env=env, expect=0).stdout)
    check([(r["kind"], r["paths"]) for r in plan["requiresReplace"]] == [("StorageClass", ["$.provisioner"])],
          plan.get("requiresReplace"))
    check("Requires replace" in kix("plan", definition, "--context", "lab", env=env, expect=0).stdout,
          "plan text lists it")

    open(log, "w").close()
    err = kix("deploy", definition, "--context", "lab", env=env, expect=2).stderr
    check("deploy stopped before the first wave" in err and "StorageClass/local-path: $.provisioner" in err
          and "--replace" in err, err)
    check(os.path.getsize(log) == 0, "nothing ran")

    out = kix("deploy", definition, "--context", "lab", "--replace", "--dry-run", env=env, expect=0).stdout
    lines = out.splitlines()
    delete = [i for i, l in enumerate(lines) if "delete storageclass.storage.k8s.io/local-path" in l]
    sc_apply = [i for i, l in enumerate(lines) if l.startswith("# apply wave") and "StorageClass/local-path" in l]
    check(len(delete) == 1 and sc_apply and delete[0] < sc_apply[0] and "--wait=true" in lines[delete[0]]
          and not any(" apply " in l for l in lines[:delete[0]] if "StorageClass" in l), out)

    kix("deploy", definition, "--context", "lab", "--replace", env=env, expect=0)
    calls = kubectl_calls(log)
    verbs = [c["argv"][2] for c in calls]
    first_delete = verbs.index("delete")
    applied_after = [c for c in calls[first_delete + 1:] if c["argv"][2] == "apply"]
    check(applied_after and any(item["kind"] == "StorageClass"
                                for item in json.loads(applied_after[0]["stdin"])["items"]),
          f"deleted, then applied again in its wave: {verbs}")
    history = json.loads(kix("store", "log", "my-homelab", "--format", "json", env=env, expect=0).stdout)
    check(history[-1]["deployed"], history)
    kix("deploy", definition, "--context", "lab", "--dry-run", env=env, expect=0)


if __name__ == "__main__":
    sys.exit(main())
