#!/usr/bin/env python3
"""The store's query commands on a small store: REF forms, ls, show, cat,
closure, why-depends, pin/unpin, and the errors for unknown REFs."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KIX = os.environ["KIX"]

MANIFESTS = """apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data:
  flag: "yes"
  script: |
    #!/bin/sh
    echo hello
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1
        envFrom: [{configMapRef: {name: cfg}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"""


def run(env, *args, expect=0, stdin=None):
    p = subprocess.run([KIX, *args], env=env, capture_output=True, text=True, input=stdin)
    if p.returncode != expect:
        sys.exit(f"kix {' '.join(args)}: exit {p.returncode}, expected {expect}\n"
                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def main():
    tmp = tempfile.mkdtemp(prefix="kix-store-commands-")
    try:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
        root = run(env, "store", "add", "--cluster", "shop-prod", "-", stdin=MANIFESTS).stdout.split()[-1]
        nodes = json.loads(run(env, "store", "ls", "shop-prod", "--format", "json").stdout)
        assert [(n["kind"], n["namespace"]) for n in nodes] == [
            ("Namespace", ""), ("ConfigMap", "shop"), ("Deployment", "shop"), ("Service", "shop")], nodes
        by_kind = {n["kind"]: n["node"] for n in nodes}

        # Every REF form names the same root.
        for ref in (root, root[:8], root[:20].upper(), "shop-prod", "shop-prod@1"):
            assert run(env, "store", "ls", ref).stdout.count("\n") == 4, ref

        show = run(env, "store", "show", "shop-prod").stdout
        assert "cluster     shop-prod" in show and "shop-prod@1" in show, show
        shown = json.loads(run(env, "store", "show", "shop-prod", "--format", "json").stdout)
        assert [(g["number"], g["current"]) for g in shown["generations"]] == [(1, True)], shown
        show_node = json.loads(run(env, "store", "show", by_kind["Deployment"][:10], "--format", "json").stdout)
        assert [r["resource"] for r in show_node["references"]] == ["ConfigMap/cfg @ shop"], show_node
        assert [r["resource"] for r in show_node["referencedBy"]] == ["Service/web @ shop"], show_node

        # cat prints YAML that reads back to the same blob.
        cat = run(env, "store", "cat", by_kind["ConfigMap"]).stdout
        assert 'flag: "yes"' in cat and "script: |" in cat, cat
        cat_file = os.path.join(tmp, "cfg.yaml")
        with open(cat_file, "w") as f:
            f.write(cat)
        blob = next(n["blob"] for n in nodes if n["kind"] == "ConfigMap")
        assert run(env, "hash", cat_file).stdout.split()[0] == blob
        assert json.loads(run(env, "store", "cat", by_kind["ConfigMap"], "--format", "json").stdout)["data"]["flag"] == "yes"
        run(env, "store", "cat", "shop-prod", expect=2)

        closure = run(env, "store", "closure", by_kind["Service"]).stdout.splitlines()
        assert len(closure) == 3, closure
        why = run(env, "store", "why-depends", by_kind["Service"], by_kind["ConfigMap"]).stdout
        assert "-> Deployment/web @ shop" in why and "configMapRef" in why, why
        none = run(env, "store", "why-depends", by_kind["ConfigMap"], by_kind["Service"], expect=1)
        assert "does not depend on" in none.stdout

        assert run(env, "store", "pin", "shop-prod").stdout.startswith("pinned root")
        assert run(env, "store", "pin", root).stdout.startswith("already pinned")
        assert "pinned      yes" in run(env, "store", "show", root).stdout
        assert run(env, "store", "unpin", root).stdout.startswith("unpinned")

        # export / import between two stores.
        archive = os.path.join(tmp, "shop.kix")
        run(env, "store", "export", "shop-prod", "-o", archive)
        env2 = dict(env, KIX_STORE=os.path.join(tmp, "store2"))
        imported = run(env2, "store", "import", archive, "--pin").stdout
        assert imported.splitlines()[-1] == root + "  pinned", imported
        assert run(env2, "store", "ls", root).stdout == run(env, "store", "ls", root).stdout
        assert run(env2, "store", "verify").stdout.strip().endswith("ok")
        assert "pinned      yes" in run(env2, "store", "show", root).stdout

        err = run(env, "store", "ls", "shop-prd", expect=2).stderr
        assert "no cluster named 'shop-prd'" in err and "shop-prod" in err, err
        err = run(env, "store", "ls", "shop-prod@2", expect=2).stderr
        assert "has no generation 2" in err, err
        near = root[:7] + ("0" if root[7] != "0" else "1")
        err = run(env, "store", "ls", near, expect=2).stderr
        assert root in err, err
        err = run(env, "store", "log", "nothing", expect=2).stderr
        assert "no cluster named 'nothing'" in err, err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
