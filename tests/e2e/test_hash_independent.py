#!/usr/bin/env python3
"""`kix hash`, `kix canon` and docs/kix_hash.py agree on real Helm chart output
and on Secrets, whose hash form is keyed (docs/secrets.md).

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


def check_secret_store(secrets):
    """A store holding Secrets: its root recomputes from `kix rollback`'s result
    directory with the key, and no value appears in what kix printed."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        add = subprocess.run([KIX, "--store", store, "store", "add", "--cluster", "s", secrets],
                             capture_output=True, text=True, check=True)
        root = add.stdout.strip().splitlines()[-1]
        result = os.path.join(tmp, "result")
        subprocess.run([KIX, "--store", store, "rollback", "s", "-o", result], check=True,
                       capture_output=True, text=True)
        if kix_hash.result(result) != root:
            failures += 1
            print("result root differs: kix %s python %s" % (root, kix_hash.result(result)))
        # And without the key, python cannot and does not pretend to.
        key, kix_hash.SECRET_KEY = kix_hash.SECRET_KEY, None
        try:
            kix_hash.result(result)
            failures += 1
            print("kix_hash.py hashed a Secret without the key")
        except ValueError:
            pass
        finally:
            kix_hash.SECRET_KEY = key
    return failures


def main():
    tmp_keys = tempfile.TemporaryDirectory()
    key_file = os.path.join(tmp_keys.name, "secret.key")
    with open(key_file, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(key_file, 0o600)
    with open(key_file) as f:
        kix_hash.SECRET_KEY = bytes.fromhex(f.read().strip())
    os.environ["KIX_SECRET_KEY_FILE"] = key_file
    secrets = os.path.join(SRC, "tests/e2e/fixtures/secrets/secrets.yaml")
    inputs = [os.path.join(SRC, "tests/e2e/fixtures/helm/demo-chart.yaml"), secrets]
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
            canon_expected.append(kix_hash.canonical(kix_hash.hashed_form(doc)))
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
    failures += check_secret_store(secrets)
    checked += 1
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
