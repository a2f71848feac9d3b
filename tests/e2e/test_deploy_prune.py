#!/usr/bin/env python3
"""Prune by root diff, with the real binary and a scripted kubectl (there
is no API server here; the script logs every call, answers `get` from a
file of live objects and everything else with "ok"):

- examples/immich deployed, then its library claim replaced by an NFS
  volume: `kix deploy --dry-run` lists `delete
  persistentvolumeclaim/immich-library` after the last wave; another
  context, or --prune=false, prunes nothing;
- `kix diff --kubectl` against a cluster still holding the claim lists it
  as orphaned by kix (was in generation 1), an object labelled
  managed-by: kix as orphaned too, and a hand-made ConfigMap as a possible
  manual leftover;
- a deploy whose prune fails exits 2, says so, and is recorded as partial
  (`kix store log` says so), so the next deploy prunes again; the real
  deploy deletes after every apply and wait, and records the generation as
  deployed.
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
    live = os.path.join(tmp, "live.json")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_KUBECTL=kubectl,
               FAKE_KUBECTL_LOG=log, FAKE_LIVE=live)

    kix("build", definition, "-o", os.path.join(tmp, "gen1"), env=env, expect=0)
    kix("deploy", definition, "--context", "lab", env=env, expect=0)

    # What the cluster holds now: generation 1, a ConfigMap someone made by
    # hand, and one kix labelled that no build has.
    files = sorted(os.path.join(tmp, "gen1", f) for f in os.listdir(os.path.join(tmp, "gen1"))
                   if f.endswith(".yaml"))
    objects = [json.loads(line) for line in kix("canon", *files, env=env, expect=0).stdout.splitlines()]
    objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "legacy-override", "namespace": "immich"}, "data": {"a": "b"}})
    objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "old-kix-config", "namespace": "immich",
                                 "labels": {"app.kubernetes.io/managed-by": "kix"}}, "data": {}})
    with open(live, "w") as f:
        json.dump({"items": objects}, f)

    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    library = "    immich-library:\n      package: persistent-volume-claim\n      aliases: [storage]\n" \
              "      config:\n        size: 200Gi\n"
    check(library in text, "examples/immich changed: update this test")
    with open(path, "w") as f:
        f.write(text.replace(library, "    photos:\n      package: nfs-volume\n      aliases: [storage]\n"
                                      "      config: {server: nas.lan, share: /export/photos, size: 200Gi, readOnly: false}\n"))

    # The dry run lists the deletion after the last wave.
    out = kix("deploy", definition, "--context", "lab", "--dry-run", env=env, expect=0).stdout
    lines = out.splitlines()
    delete = [i for i, l in enumerate(lines) if " delete persistentvolumeclaim/immich-library -n immich" in l]
    last_apply = max(i for i, l in enumerate(lines) if " apply " in l)
    check(len(delete) == 1 and delete[0] > last_apply and "--ignore-not-found" in lines[delete[0]]
          and "after the last wave: prune what generation 1" in out, out)
    check(sum(" delete " in l for l in lines) == 1, f"only the claim is pruned:\n{out}")
    for extra in (["--context", "other"], ["--context", "lab", "--prune=false"]):
        out = kix("deploy", definition, *extra, "--dry-run", env=env, expect=0).stdout
        check(" delete " not in out, f"{extra}: nothing to prune:\n{out}")

    # The live diff finds the orphan, across the kinds the new build lacks.
    report = json.loads(kix("diff", definition, "--kubectl", "--context", "lab", "--format", "json",
                            env=env, expect=1).stdout)
    by_name = {r["name"]: r for r in report["resources"] if r["status"] == "cluster-only"}
    check(by_name.get("immich-library", {}).get("orphaned", "").startswith("was in generation 1"), report)
    check(by_name.get("old-kix-config", {}).get("orphaned") == "labelled app.kubernetes.io/managed-by: kix",
          report)
    check("legacy-override" in by_name and "orphaned" not in by_name["legacy-override"], report)
    text_out = kix("diff", definition, "--kubectl", "--context", "lab", env=env, expect=1).stdout
    check("PersistentVolumeClaim/immich-library @ immich (cluster-only — orphaned by kix, was in generation 1"
          in text_out and "legacy-override @ immich (cluster-only — not managed by kix, possible manual leftover)"
          in text_out, text_out)

    # A prune that fails: reported, not recorded, done again next time.
    open(log, "w").close()
    fail = dict(env, FAKE_KUBECTL_FAIL_ON="delete persistentvolumeclaim/immich-library")
    err = kix("deploy", definition, "--context", "lab", env=fail, expect=2).stderr
    check("prune PersistentVolumeClaim/immich-library @ immich failed" in err and "pruning stopped" in err
          and "recorded as partial" in err and "scripted failure" in err, err)
    history = json.loads(kix("store", "log", "my-homelab", "--format", "json", env=env, expect=0).stdout)
    check([g["deployed"] for g in history] == [False, True] and
          history[1].get("partial", {}).get("wavesApplied") == history[1].get("partial", {}).get("wavesTotal"),
          f"a failed prune is a partial deploy: {history}")
    text_log = kix("store", "log", "my-homelab", env=env, expect=0).stdout
    check("(current, deployed partially:" in text_log, text_log)
    out = kix("deploy", definition, "--context", "lab", "--dry-run", env=env, expect=0).stdout
    check(" delete persistentvolumeclaim/immich-library" in out, f"the next deploy prunes again:\n{out}")

    # The real deploy: deletes after every apply and wait, then records.
    open(log, "w").close()
    kix("deploy", definition, "--context", "lab", env=env, expect=0)
    made = [c["argv"] for c in kubectl_calls(log)]
    verbs = [c[2] for c in made]
    check(verbs[-1] == "delete" and "delete" not in verbs[:-1] and made[-1][3] == "persistentvolumeclaim/immich-library",
          f"the deletion comes last: {made}")
    history = json.loads(kix("store", "log", "my-homelab", "--format", "json", env=env, expect=0).stdout)
    check([g["deployed"] for g in history] == [False, True] and "partial" not in history[1], history)
    out = kix("deploy", definition, "--context", "lab", "--dry-run", env=env, expect=0).stdout
    check(" delete " not in out, f"nothing left to prune:\n{out}")


if __name__ == "__main__":
    sys.exit(main())
