#!/usr/bin/env python3
"""kix diff against live dumps: server noise is not drift; real drift is
reported with paths and both values in every format; Secret values never
appear in any output."""

import base64
import copy
import json
import os
import subprocess
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish, kix

DESIRED = os.path.join(SRC, "tests/e2e/fixtures/diff/desired")
# The values of the fixture's Secrets: `kix canon` prints a Secret's hash
# form (HMACs where the values are), so the live copies get them from here.
SECRET_VALUES = {"immich-db": {"password": "correct-horse-battery"}}


def desired_objects():
    # `kix canon` turns the YAML fixtures into JSON without needing PyYAML.
    files = sorted(os.path.join(DESIRED, f) for f in os.listdir(DESIRED))
    out = kix("canon", *files, expect=0).stdout
    objects = [json.loads(line) for line in out.splitlines() if line.strip()]
    for obj in objects:
        if obj["kind"] != "Secret":
            continue
        values = SECRET_VALUES[obj["metadata"]["name"]]
        for key, value in obj["stringData"].items():
            check(value.startswith("hmac-sha256:") and values[key] not in out,
                  f"kix canon printed a Secret's value or no HMAC: {value}")
        obj["stringData"] = dict(values)
    return objects


def add_server_noise(obj, index):
    """What the API server adds: status, server metadata, defaults."""
    live = copy.deepcopy(obj)
    meta = live["metadata"]
    meta.update({"uid": f"00000000-0000-0000-0000-{index:012d}", "resourceVersion": str(1000 + index),
                 "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
                 "managedFields": [{"manager": "kix", "operation": "Apply", "apiVersion": obj["apiVersion"],
                                    "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]})
    meta.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(obj)
    kind = live["kind"]
    if kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        live["spec"] = {"finalizers": ["kubernetes"]}
        live["status"] = {"phase": "Active"}
    if kind == "Secret":
        data = live.setdefault("data", {})
        for k, v in live.pop("stringData", {}).items():
            data[k] = base64.b64encode(v.encode()).decode()
    if kind in ("Deployment", "StatefulSet"):
        spec = live["spec"]
        spec.setdefault("revisionHistoryLimit", 10)
        if kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        else:
            spec.setdefault("podManagementPolicy", "OrderedReady")
            spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        pod = spec["template"]["spec"]
        for key, value in {"dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                           "schedulerName": "default-scheduler", "securityContext": {},
                           "terminationGracePeriodSeconds": 30}.items():
            pod.setdefault(key, value)
        spec["template"].setdefault("metadata", {})["creationTimestamp"] = None
        for c in pod["containers"]:
            for key, value in {"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                               "terminationMessagePolicy": "File"}.items():
                c.setdefault(key, value)
            for p in c.get("ports", []):
                p.setdefault("protocol", "TCP")
            requests = c.get("resources", {}).get("requests", {})
            if requests.get("cpu") == "500m":
                requests["cpu"] = "0.5"  # the same quantity, spelled differently
        replicas = spec.get("replicas", 1)
        live["status"] = {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 3}
    if kind == "Service":
        spec = live["spec"]
        for key, value in {"clusterIP": f"10.43.0.{index}", "clusterIPs": [f"10.43.0.{index}"],
                           "type": "ClusterIP", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                           "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"}.items():
            spec.setdefault(key, value)
        for p in spec["ports"]:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p["port"])
        live["status"] = {"loadBalancer": {}}
    if kind == "PersistentVolumeClaim":
        for key, value in {"storageClassName": "local-path", "volumeMode": "Filesystem",
                           "volumeName": "pvc-1"}.items():
            live["spec"].setdefault(key, value)
        live["status"] = {"phase": "Bound", "capacity": {"storage": "200Gi"}}
    if kind == "StorageClass":
        live.setdefault("reclaimPolicy", "Delete")
        live.setdefault("volumeBindingMode", "Immediate")
    if kind == "SGCluster":
        live["status"] = {"conditions": [{"type": "PendingRestart", "status": "False"}]}
    return live


def cluster_extras():
    """Objects the cluster creates by itself in every namespace."""
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "immich"},
         "data": {"ca.crt": "..."}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "immich"}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
            "name": "immich-server-5d9c", "namespace": "immich",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "immich-server",
                                 "uid": "x", "controller": True}]}},
    ]


def write_list(path, items):
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}, f,
                  indent=2)


def find(objs, kind, name):
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def compiled_immich(tmp):
    """The objects `kix build examples/immich` writes, or None when the
    example does not compile (yet)."""
    immich = os.path.join(SRC, "examples/immich")
    result = os.path.join(tmp, "immich-result")
    proc = subprocess.run([KIX, "build", immich, "-o", result], capture_output=True, text=True)
    if proc.returncode != 0:
        print("note: examples/immich does not build; its scenarios are skipped\n" + proc.stderr)
        return None
    files = sorted(os.path.join(result, f) for f in os.listdir(result) if f.endswith((".yaml", ".json")))
    out = kix("canon", *files, expect=0).stdout
    return immich, [json.loads(line) for line in out.splitlines() if line.strip()]


def noise_only(tmp, desired_path, desired):
    live = [add_server_noise(o, i) for i, o in enumerate(desired)] + cluster_extras()
    dump = os.path.join(tmp, "dump.json")
    write_list(dump, live)
    out = kix("diff", desired_path, "--live", dump, expect=0).stdout
    check(f"identical:          {len(desired)}" in out, f"noise-only dump should be all identical:\n{out}")
    check("modified:           0" in out, "noise-only dump should have nothing modified:\n" + out)
    # The same List read as YAML (JSON is flow-style YAML), and as a
    # multi-document YAML file.
    yaml_dump = os.path.join(tmp, "dump.yaml")
    with open(yaml_dump, "w") as f:
        f.write("".join("---\n" + json.dumps(o, indent=1) + "\n" for o in live))
    kix("diff", desired_path, "--live", yaml_dump, expect=0)
    # The same objects as a directory of one file per object.
    dump_dir = os.path.join(tmp, "dump-dir")
    os.mkdir(dump_dir)
    for i, obj in enumerate(live):
        with open(os.path.join(dump_dir, f"{i:02d}.json"), "w") as f:
            json.dump(obj, f)
    kix("diff", desired_path, "--live", dump_dir, expect=0)
    return live


def drift(tmp, desired_path, desired, live, deployment_name, deleted_service):
    """One Deployment's replicas and image changed, a Service deleted, a
    ConfigMap added: exactly 1 modified, 1 kix-only, 1 cluster-only."""
    want = find(desired, "Deployment", deployment_name)
    want_replicas = want["spec"].get("replicas", 1)
    want_image = want["spec"]["template"]["spec"]["containers"][0]["image"]
    drift_image = want_image + "-drift"
    drifted = copy.deepcopy(live)
    deployment = find(drifted, "Deployment", deployment_name)
    ns = deployment["metadata"]["namespace"]
    deployment["spec"]["replicas"] = want_replicas + 1
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = drift_image
    drifted.remove(find(drifted, "Service", deleted_service))
    drifted.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "legacy-override", "namespace": ns, "uid": "u"}, "data": {"x": "1"}})
    drift_dump = os.path.join(tmp, "drift.json")
    write_list(drift_dump, drifted)
    identical = len(desired) - 2

    text = kix("diff", desired_path, "--live", drift_dump, expect=1).stdout
    for needle in [f"identical:          {identical}", "modified:           1", "kix-only:           1",
                   "cluster-only:       1", f"~ Deployment/{deployment_name} @ {ns}", "$.spec.replicas:",
                   f"kix:     {want_replicas}\n", f"cluster: {want_replicas + 1}\n",
                   "$.spec.template.spec.containers[0].image:", f"kix:     {want_image}\n",
                   f"cluster: {drift_image}\n",
                   f"+ Service/{deleted_service} @ {ns} (new — will be created)",
                   f"- ConfigMap/legacy-override @ {ns} (cluster-only — not managed by kix, possible manual leftover)"]:
        check(needle in text, f"text output lacks {needle!r}:\n{text}")
    check("\x1b[" not in text, "no colours when stdout is not a TTY")
    # The rule is drawn as seed 003 shows it under a UTF-8 locale, in ASCII
    # otherwise.
    base_env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG")}
    plain = kix("diff", desired_path, "--live", drift_dump, expect=1, env=base_env).stdout
    check(plain.startswith("=" * 51 + "\n kix-diff: "), f"ASCII rule without a locale:\n{plain[:200]}")
    for locale, utf8 in [("C.UTF-8", True), ("en_US.utf8", True), ("de_DE.UTF-8@euro", True),
                         ("C", False), ("POSIX", False), ("en_US.ISO-8859-1", False)]:
        ruled = kix("diff", desired_path, "--live", drift_dump, expect=1,
                    env=dict(base_env, LANG=locale)).stdout
        want = ("\u2550" if utf8 else "=") * 51 + "\n kix-diff: "
        check(ruled.startswith(want), f"LANG={locale}: rule {ruled[:60]!r}")
    overridden = kix("diff", desired_path, "--live", drift_dump, expect=1,
                     env=dict(base_env, LANG="C.UTF-8", LC_ALL="C")).stdout
    check(overridden.startswith("=" * 51), "LC_ALL=C overrides a UTF-8 LANG")

    report = json.loads(kix("diff", desired_path, "--live", drift_dump, "--format", "json", expect=1).stdout)
    check(report["summary"] == {"identical": identical, "modified": 1, "kix-only": 1, "cluster-only": 1},
          f"json summary: {report['summary']}")
    modified = [r for r in report["resources"] if r["status"] == "modified"]
    check(len(modified) == 1 and modified[0]["name"] == deployment_name, f"json modified: {modified}")
    changes = {c["path"]: (c.get("kix"), c.get("cluster")) for c in modified[0]["changes"]} if modified else {}
    check(changes == {"$.spec.replicas": (want_replicas, want_replicas + 1),
                      "$.spec.template.spec.containers[0].image": (want_image, drift_image)},
          f"json changes: {changes}")
    statuses = sorted((r["status"], r["kind"], r["name"]) for r in report["resources"])
    check(statuses == [("cluster-only", "ConfigMap", "legacy-override"), ("kix-only", "Service", deleted_service),
                       ("modified", "Deployment", deployment_name)], f"json statuses: {statuses}")

    md = kix("diff", desired_path, "--live", drift_dump, "--format", "markdown", expect=1).stdout
    for needle in [f"| identical | {identical} |", "| modified | 1 |", "| kix-only (will be created) | 1 |",
                   "| cluster-only (not managed by kix) | 1 |", f"<details open><summary>~ <code>Deployment/{deployment_name} @ {ns}</code>: 2 changes</summary>",
                   f"| `$.spec.replicas` | `{want_replicas}` | `{want_replicas + 1}` |",
                   f"| `$.spec.template.spec.containers[0].image` | `{want_image}` | `{drift_image}` |",
                   f"`Service/{deleted_service} @ {ns}`", f"`ConfigMap/legacy-override @ {ns}`"]:
        check(needle in md, f"markdown lacks {needle!r}:\n{md}")


def secret_change(tmp, desired_path, live):
    """A Secret whose value differs: reported, never printed."""
    secret_live = copy.deepcopy(live)
    cluster_value = "old-cluster-password"
    find(secret_live, "Secret", "immich-db")["data"]["password"] = base64.b64encode(cluster_value.encode()).decode()
    secret_dump = os.path.join(tmp, "secret.json")
    write_list(secret_dump, secret_live)
    forbidden = ["correct-horse-battery", base64.b64encode(b"correct-horse-battery").decode(),
                 cluster_value, base64.b64encode(cluster_value.encode()).decode()]
    for fmt in ["text", "json", "markdown"]:
        proc = kix("diff", desired_path, "--live", secret_dump, "--format", fmt, expect=1)
        both = proc.stdout + proc.stderr
        check("Secret/immich-db" in both or '"immich-db"' in both, f"{fmt}: secret change not reported:\n{both}")
        check("$.data.password" in both, f"{fmt}: secret path not reported:\n{both}")
        for value in forbidden:
            check(value not in both, f"{fmt}: secret value {value!r} leaked:\n{both}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KIX_STORE"] = os.path.join(tmp, "store")
        desired = desired_objects()
        check(len(desired) == 9, f"expected 9 fixture resources, got {len(desired)}")
        cases = [("fixture", DESIRED, desired, "immich-server", "valkey")]
        immich = compiled_immich(tmp)
        if immich:
            cases.append(("immich", immich[0], immich[1], "immich-server", "valkey"))
        for name, path, objects, deployment, service in cases:
            case_dir = os.path.join(tmp, name)
            os.mkdir(case_dir)
            live = noise_only(case_dir, path, objects)
            drift(case_dir, path, objects, live, deployment, service)
            if name == "fixture":
                secret_change(case_dir, path, live)
        # Usage errors exit 2.
        kix("diff", DESIRED, expect=2)
        kix("diff", DESIRED, "--live", os.path.join(tmp, "missing"), expect=2)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
