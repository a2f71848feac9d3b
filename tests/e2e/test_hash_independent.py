#!/usr/bin/env python3
"""`kix hash`, `kix canon` and docs/kix_hash.py agree on real Helm chart output.

The YAML side of the independent implementation is PyYAML (Debian's
python3-yaml) restricted to the YAML 1.2 core schema, so nothing of kix's
own reader is involved.
"""
import json
import os
import subprocess
import sys
import tempfile

SRC = os.environ["KIX_SOURCE_DIR"]
KIX = os.environ["KIX"]
sys.path.insert(0, os.path.join(SRC, "docs"))
import kix_hash  # noqa: E402

# PyYAML (Debian's python3-yaml) restricted to the YAML 1.2 core schema.
yaml, CoreLoader = kix_hash.core_yaml_loader()


def documents(path):
    with open(path, encoding="utf-8") as f:
        for doc in yaml.load_all(f, Loader=CoreLoader):
            if doc is None:
                continue
            if isinstance(doc, dict) and doc.get("kind", "").endswith("List") and "items" in doc:
                yield from doc["items"]
            else:
                yield doc


def main():
    inputs = [os.path.join(SRC, "tests/e2e/fixtures/helm/demo-chart.yaml")]
    shared_crds = os.path.join(SRC, "..", "shared", "k8s-api", "crds", "cloudnative-pg.yaml")
    if os.path.exists(shared_crds):
        inputs.append(shared_crds)
    failures = 0
    checked = 0
    for path in inputs:
        expected = []
        canon_expected = []
        for doc in documents(path):
            meta = doc.get("metadata", {})
            expected.append("%s  %s %s %s %s" % (kix_hash.blob(doc), doc["apiVersion"], doc["kind"],
                                                 meta.get("namespace") or "-", meta["name"]))
            canon_expected.append(kix_hash.canonical(doc))
        got = subprocess.run([KIX, "hash", path], check=True, capture_output=True, text=True).stdout
        got_lines = got.splitlines()
        if got_lines != expected:
            failures += 1
            print("MISMATCH in %s" % path)
            for a, b in zip(got_lines, expected):
                if a != b:
                    print("  kix:    " + a)
                    print("  python: " + b)
        canon = subprocess.run([KIX, "canon", path], check=True, capture_output=True,
                               text=True).stdout.splitlines()
        # canon prints documents as they are (a List stays one line), hash flattens.
        if len(canon) == len(canon_expected) and canon != canon_expected:
            failures += 1
            print("canonical form differs in %s" % path)
        checked += len(expected)
    # Node and root hashes: recompute from the ls output of a real store.
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        add = subprocess.run([KIX, "--store", store, "store", "add", "--cluster", "demo", inputs[0]],
                             capture_output=True, text=True)
        if add.returncode == 0:
            root = add.stdout.strip().splitlines()[-1]
            ls = subprocess.run([KIX, "--store", store, "store", "ls", "--format", "json", root],
                                capture_output=True, text=True)
            if ls.returncode == 0:
                rows = json.loads(ls.stdout)
                rows = rows.get("resources", rows) if isinstance(rows, dict) else rows
                nodes = [r["node"] for r in rows]
                if kix_hash.root("demo", nodes) != root:
                    failures += 1
                    print("root hash differs: kix %s python %s" % (root, kix_hash.root("demo", nodes)))
                checked += 1
    print("%d passed, %d failed" % (checked - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
