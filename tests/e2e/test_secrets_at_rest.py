#!/usr/bin/env python3
"""Secrets at rest (docs/secrets.md), each check able to fail:
- after add, rollback, export and gc of manifests with Secrets, no value and
  no base64 form of one is anywhere in the store directory (database, WAL,
  SHM, every decompressed blob), in the archive, or in any command's output
  (except `kix store cat --show-secrets` and the result directory, where the
  user asked for them);
- the key file is 0600 in a 0700 directory, the store 0700 with 0600 files,
  the result 0700/0600, the archive 0600;
- `kix store diff` reports a changed Secret with no value in every format;
- with another key (a store moved to another machine): verify and diff
  work, rollback writes every other resource, withholds the Secrets, records
  no generation and exits 2 naming the key; deploy refuses before any wave.
"""
import base64
import glob
import json
import os
import sqlite3
import hashlib
import stat
import subprocess
import sys
import tempfile

from e2e_support import SRC, check, finish, kix

sys.path.insert(0, os.path.join(SRC, "docs"))
import kix_hash  # noqa: E402

FIXTURE = os.path.join(SRC, "tests/e2e/fixtures/secrets/secrets.yaml")
# The values in the fixture, in plaintext.
VALUES = ["app-user-value", "hunter2-value-12345", "tok-value-plain-67890",
          "tok-value-from-annotation", "odd-key-value", "pässwörd-välue", "annotation-only-value"]
CHANGED = "hunter3-value-99999"  # the password of the second generation


def forms(value):
    """A value and the encodings in which it could leak."""
    raw = value.encode()
    return {value, base64.b64encode(raw).decode(), raw.hex(),
            json.dumps(value)[1:-1]}  # JSON-escaped (ä as \\u00e4)


NEEDLES = set()
for v in VALUES + [CHANGED]:
    NEEDLES |= forms(v)


def leaks(text):
    if isinstance(text, bytes):
        return [n for n in NEEDLES if n.encode() in text]
    return [n for n in NEEDLES if n in text]


def no_leak(where, text):
    found = leaks(text)
    check(not found, f"{where} shows secret values {found}")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def decompressed_blobs(store, tmp):
    """Every blob of the store, decompressed with the zstd tool."""
    con = sqlite3.connect(os.path.join(store, "store.db"))
    try:
        dictionaries = dict(con.execute("SELECT id, data FROM dictionaries"))
        rows = con.execute("SELECT hash, data, dict FROM blobs").fetchall()
    finally:
        con.close()
    out = []
    for digest, data, dictionary in rows:
        frame = os.path.join(tmp, "frame.zst")
        with open(frame, "wb") as f:
            f.write(data)
        argv = ["zstd", "-d", "-q", "-c", frame]
        if dictionary:
            dict_file = os.path.join(tmp, "dict")
            with open(dict_file, "wb") as f:
                f.write(dictionaries[dictionary])
            argv += ["-D", dict_file]
        p = subprocess.run(argv, capture_output=True)
        check(p.returncode == 0, f"blob {bytes(digest).hex()} does not decompress with zstd")
        out.append(p.stdout)
    return out


def store_files_clean(store, tmp, label):
    files = [f for f in glob.glob(os.path.join(store, "*")) if os.path.isfile(f)]
    check(any(f.endswith("store.db") for f in files), f"{label}: no store.db in {store}")
    for f in files:
        with open(f, "rb") as fh:
            no_leak(f"{label}: {os.path.basename(f)}", fh.read())
        check(mode(f) & 0o077 == 0, f"{label}: {f} is {oct(mode(f))}, expected 0600")
    check(mode(store) == 0o700, f"{label}: the store is {oct(mode(store))}, expected 0700")
    blobs = decompressed_blobs(store, tmp)
    check(len(blobs) > 0, f"{label}: no blobs")
    for b in blobs:
        no_leak(f"{label}: a decompressed blob", b)


def check_v1_archive(tmp, env):
    """An archive of kix 0.1.0 holding a Secret in plaintext imports sealed,
    under its old hash, and the value never reaches the store readable."""
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "old", "namespace": "app"},
              "stringData": {"password": "hunter2-value-12345"}}
    canonical = kix_hash.canonical(secret)
    blob = hashlib.sha256(canonical.encode()).hexdigest()
    node = kix_hash.node(blob, [])
    root = kix_hash.root("old", [node])
    index = {"v": 1, "roots": [{"hash": root, "cluster": "old", "nodes": [node]}],
             "nodes": [{"hash": node, "blob": blob, "apiVersion": "v1", "kind": "Secret",
                        "namespace": "app", "name": "old", "refs": []}]}
    tree = os.path.join(tmp, "v1-archive")
    os.makedirs(os.path.join(tree, "blobs"))
    with open(os.path.join(tree, "kix-archive.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(tree, "blobs", blob), "w") as f:
        f.write(canonical)
    archive = os.path.join(tmp, "v1.tar.zst")
    subprocess.run(["tar", "--zstd", "-cf", archive, "-C", tree, "kix-archive.json", "blobs/" + blob],
                   check=True)
    store = os.path.join(tmp, "v1-store")
    out = kix("--store", store, "store", "import", "--pin", archive, env=env, expect=0)
    check(root in out.stdout, "the v1 archive's root was not imported under its hash:\n" + out.stdout)
    check(kix("--store", store, "store", "verify", env=env, expect=0).returncode == 0,
          "the imported v1 archive does not verify")
    result = os.path.join(tmp, "v1-result")
    kix("--store", store, "rollback", root, "-o", result, env=env, expect=0)
    with open(os.path.join(result, "app_Secret_old.yaml"), encoding="utf-8") as f:
        check("hunter2-value-12345" in f.read(), "the v1 Secret lost its value")
    store_files_clean(store, tmp, "imported v1 archive")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        key_dir = os.path.join(tmp, "config", "kix")
        key_file = os.path.join(key_dir, "secret.key")
        env = dict(os.environ, KIX_STORE=store, KIX_SECRET_KEY_FILE=key_file)
        outputs = []

        def run(*args, expect=0, environment=None):
            p = kix(*args, env=environment or env, expect=expect)
            outputs.append((" ".join(args), p.stdout + p.stderr))
            return p

        # Two generations: the password changes.
        v2_dir = os.path.join(tmp, "v2")
        os.makedirs(v2_dir)
        with open(FIXTURE, encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(v2_dir, "secrets.yaml"), "w", encoding="utf-8") as f:
            f.write(text.replace(base64.b64encode(b"hunter2-value-12345").decode(),
                                 base64.b64encode(CHANGED.encode()).decode()))
        first = run("store", "add", "--cluster", "lab", FIXTURE)
        check("created the secret key " + key_file in first.stderr,
              "the first add does not say it created the key:\n" + first.stderr)
        check(mode(key_file) == 0o600 and mode(key_dir) == 0o700,
              f"key file {oct(mode(key_file))} in {oct(mode(key_dir))}, expected 0600 in 0700")
        second = run("store", "add", "--cluster", "lab", v2_dir)
        root1 = first.stdout.strip().splitlines()[-1]
        root2 = second.stdout.strip().splitlines()[-1]
        check("created the secret key" not in second.stderr, "the key was created twice")

        # Every way of looking at the store.
        run("store", "log", "lab")
        ls = json.loads(run("store", "ls", "--format", "json", "lab").stdout)
        rows = ls.get("resources", ls) if isinstance(ls, dict) else ls
        nodes = {r["name"]: r["node"] for r in rows}
        for name in ("db-credentials", "api-token", "annotation-only"):
            run("store", "show", nodes[name])
            cat = run("store", "cat", nodes[name]).stdout
            check("last-applied-configuration" not in cat or "(redacted)" in cat or "REDACTED" in cat.upper(),
                  f"cat of {name} shows its last-applied annotation:\n{cat}")
            run("store", "cat", "--format", "json", nodes[name])
        shown = kix("store", "cat", "--show-secrets", nodes["api-token"], env=env).stdout
        check("tok-value-plain-67890" in shown and "tok-value-from-annotation" in shown,
              "cat --show-secrets does not give the values back:\n" + shown)
        for fmt in ("text", "json", "markdown"):
            d = run("store", "diff", "lab@1", "lab@2", "--format", fmt, expect=1).stdout
            check("db-credentials" in d, f"store diff --format {fmt} does not report the Secret:\n{d}")
            check("api-token" not in d, f"store diff --format {fmt} reports an unchanged Secret:\n{d}")
        verify = run("store", "verify").stdout
        check("sealed Secrets" in verify and "not opened" not in verify,
              "verify with the key does not open the Secrets:\n" + verify)

        # Rollback: the result holds the values (the user asked), privately.
        result = os.path.join(tmp, "result")
        run("rollback", "lab@1", "-o", result)
        check(mode(result) == 0o700, f"the result is {oct(mode(result))}, expected 0700")
        for f in os.listdir(result):
            check(mode(os.path.join(result, f)) == 0o600, f"result file {f} is not 0600")
        with open(os.path.join(result, "app_Secret_db-credentials.yaml"), encoding="utf-8") as f:
            check("aHVudGVyMi12YWx1ZS0xMjM0NQ==" in f.read(), "the rolled-back Secret lacks its value")

        # Export: ciphertext only.
        archive = os.path.join(tmp, "lab.tar.zst")
        run("store", "export", "lab@1", "lab@2", "-o", archive)
        check(mode(archive) == 0o600, f"the archive is {oct(mode(archive))}, expected 0600")
        with open(archive, "rb") as f:
            no_leak("the archive file", f.read())
        os.makedirs(os.path.join(tmp, "x"))
        subprocess.run(["tar", "--zstd", "-xf", archive, "-C", os.path.join(tmp, "x")], check=True)
        extracted = [p for p in glob.glob(os.path.join(tmp, "x", "**"), recursive=True)
                     if os.path.isfile(p)]
        check(any("/sealed/" in p for p in extracted), "the archive holds no sealed values")
        for p in extracted:
            with open(p, "rb") as fh:
                no_leak(f"archive entry {os.path.relpath(p, tmp)}", fh.read())

        # gc drops generation 1; its Secret's sealed values go with its blob.
        run("store", "gc", "--keep-generations", "1")
        con = sqlite3.connect(os.path.join(store, "store.db"))
        orphans = con.execute("SELECT COUNT(*) FROM secrets WHERE blob NOT IN "
                              "(SELECT hash FROM blobs)").fetchone()[0]
        sealed = con.execute("SELECT COUNT(*) FROM secrets").fetchone()[0]
        con.close()
        check(orphans == 0, f"gc left {orphans} sealed values without their blob")
        check(sealed == 3, f"expected 3 sealed Secrets after gc, found {sealed}")
        store_files_clean(store, tmp, "after gc")

        # Another machine: the store and the archive without the key.
        other = dict(env, KIX_SECRET_KEY_FILE=os.path.join(tmp, "other", "secret.key"))
        os.makedirs(os.path.join(tmp, "other"), mode=0o700)
        with open(os.path.join(tmp, "other", "secret.key"), "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(os.path.join(tmp, "other", "secret.key"), 0o600)
        verify = run("store", "verify", environment=other).stdout
        check("ok" in verify and "not opened" in verify,
              "verify without the key does not pass, or does not say what it skipped:\n" + verify)
        imported = os.path.join(tmp, "imported")
        run("--store", imported, "store", "import", archive, environment=other)
        # An archive carries roots, not generations: the roots are named by hash.
        d = run("--store", imported, "store", "diff", root1, root2, expect=1,
                environment=other).stdout
        check("Secret/db-credentials" in d, "diff without the key does not see the change:\n" + d)
        verify = run("--store", imported, "store", "verify", environment=other).stdout
        check(": ok" in verify, "the imported store does not verify without the key:\n" + verify)
        store_files_clean(imported, tmp, "imported without the key")

        def history():
            p = kix("--store", imported, "store", "log", "lab", env=other)
            return p.returncode, p.stdout

        log_before = history()
        partial = os.path.join(tmp, "partial")
        rb = run("--store", imported, "rollback", root1, "-o", partial, expect=2,
                 environment=other)
        check("sealed with secret key" in rb.stderr and "KIX_SECRET_KEY_FILE" in rb.stderr,
              "rollback without the key does not name the key:\n" + rb.stderr)
        check(os.path.exists(os.path.join(partial, "app_ConfigMap_settings.yaml")),
              "rollback without the key did not write the other resources")
        # The Secret without values ("empty") has nothing to withhold.
        written = sorted(os.listdir(partial))
        check([f for f in written if "_Secret_" in f] == ["app_Secret_empty.yaml"],
              f"rollback without the key wrote a Secret with values: {written}")
        with open(os.path.join(partial, "graph"), encoding="utf-8") as f:
            check(f.read().count('"withheld"') == 3, "the graph does not mark the 3 withheld Secrets")
        log_after = history()
        check(log_before == log_after, "rollback without the key recorded a generation")
        dep = run("--store", imported, "deploy", "--dry-run", root1, expect=2, environment=other)
        check("cannot be deployed" in dep.stderr and "kubectl" not in dep.stdout,
              "deploy without the key does not refuse before any wave:\n" + dep.stdout + dep.stderr)
        inc = run("--store", imported, "store", "add", partial, expect=2, environment=other)
        check("withheld" in inc.stderr, "adding a partial result is not refused clearly:\n" + inc.stderr)
        cat = run("--store", imported, "store", "cat", "--show-secrets", nodes["db-credentials"],
                  expect=2, environment=other)
        check("sealed with secret key" in cat.stderr, "cat --show-secrets without the key:\n" + cat.stderr)

        check_v1_archive(tmp, env)
        for command, text in outputs:
            no_leak(f"kix {command}", text)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
