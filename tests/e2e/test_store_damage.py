#!/usr/bin/env python3
"""A store that is damaged or not a store at all, through the real binary:
verify names index damage (exit 1) and repairs it, gc refuses to run on it
(exit 2, deleting nothing), every command refuses a store.db that is not a
kix store and leaves it as it was, import refuses a blob that is valid JSON
but not canonical, and cluster names that read as hashes are refused."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

from e2e_support import SRC, check, finish, kix

sys.path.insert(0, os.path.join(SRC, "docs"))
import kix_hash  # noqa: E402

EXAMPLE = os.path.join(SRC, "examples", "immich")


def flip_index_byte(db_path, index):
    db = sqlite3.connect(db_path)
    page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with open(db_path, "r+b") as f:
        offset = (page - 1) * page_size + page_size - 20
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 1]))


def rows(db_path, table):
    db = sqlite3.connect(db_path)
    n = db.execute(f"SELECT count(*) FROM {table} NOT INDEXED").fetchone()[0]
    db.close()
    return n


def archive_with_noncanonical_blob(tmp):
    """A kix archive whose one blob hashes to its name and parses as a
    manifest, but is not canonical JSON (it has spaces)."""
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}'
    blob = hashlib.sha256(text.encode()).hexdigest()
    node = kix_hash.node(blob, [])
    root = kix_hash.root("", [node])
    index = {"v": 1,
             "roots": [{"hash": root, "cluster": "", "nodes": [node]}],
             "nodes": [{"hash": node, "blob": blob, "apiVersion": "v1", "kind": "ConfigMap",
                        "namespace": "", "name": "x", "refs": []}]}
    src = os.path.join(tmp, "archive-src")
    os.makedirs(os.path.join(src, "blobs"))
    with open(os.path.join(src, "kix-archive.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(src, "blobs", blob), "w") as f:
        f.write(text)
    out = os.path.join(tmp, "noncanonical.tar.zst")
    subprocess.run(["tar", "--zstd", "-cf", out, "-C", src, "kix-archive.json", "blobs/" + blob],
                   check=True)
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        db = os.path.join(store, "store.db")
        env = dict(os.environ, KIX_STORE=store, NO_COLOR="1")
        kix("build", EXAMPLE, "-o", os.path.join(tmp, "r1"), env=env, expect=0)
        big = os.path.join(tmp, "big")
        shutil.copytree(EXAMPLE, big)
        with open(os.path.join(big, "cluster.yaml")) as f:
            text = f.read()
        with open(os.path.join(big, "cluster.yaml"), "w") as f:
            f.write(text.replace("200Gi", "300Gi"))
        kix("build", big, "-o", os.path.join(tmp, "r2"), env=env, expect=0)

        # One byte of an index page: verify sees it, gc refuses, repair fixes it.
        flip_index_byte(db, "sqlite_autoindex_nodes_1")
        blobs, nodes = rows(db, "blobs"), rows(db, "nodes")
        p = kix("store", "verify", env=env, expect=1)
        check("sqlite_autoindex_nodes_1" in p.stdout and "1 problem" in p.stdout,
              f"verify names the damaged index:\n{p.stdout}")
        p = kix("store", "gc", "--keep-generations", "1", env=env, expect=2)
        check("gc refused to run" in p.stderr and "kix store verify" in p.stderr,
              f"gc refuses and says what to run:\n{p.stderr}")
        check(rows(db, "blobs") == blobs and rows(db, "nodes") == nodes, "gc deleted nothing")
        p = kix("store", "verify", "--repair", env=env, expect=0)
        check("rebuilt the indexes" in p.stdout, f"repair rebuilds the index:\n{p.stdout}")
        kix("store", "gc", "--keep-generations", "1", env=env, expect=0)
        kix("store", "verify", env=env, expect=0)

        # Not a kix store: refused by every command, never written.
        for content in (b"", b"S", b"x" * 4096):
            bad = os.path.join(tmp, "bad-%d" % len(content))
            os.makedirs(bad)
            with open(os.path.join(bad, "store.db"), "wb") as f:
                f.write(content)
            bad_env = dict(env, KIX_STORE=bad)
            for command in (["store", "log", "x"], ["store", "gc"], ["store", "verify"],
                            ["build", EXAMPLE, "-o", os.path.join(tmp, "never")]):
                p = kix(*command, env=bad_env, expect=2)
                check("store.db" in p.stderr, f"{command}: the error names the file:\n{p.stderr}")
            with open(os.path.join(bad, "store.db"), "rb") as f:
                check(f.read() == content, f"a {len(content)}-byte store.db is left as it was")
            check(sorted(os.listdir(bad)) == ["store.db"], f"nothing was created beside it: {os.listdir(bad)}")
            check(not os.path.exists(os.path.join(tmp, "never")), "no result was written")

        # Import: a blob that is valid JSON but not canonical.
        archive = archive_with_noncanonical_blob(tmp)
        before = rows(db, "blobs")
        p = kix("store", "import", archive, env=env, expect=2)
        check("canonical" in p.stderr, f"import names the non-canonical blob:\n{p.stderr}")
        check(rows(db, "blobs") == before, "the refused import stored nothing")

        # Cluster names that a REF would read as a hash prefix.
        src = os.path.join(tmp, "cm")
        os.makedirs(src)
        with open(os.path.join(src, "cm.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
        for name in ("cafe1234", "20241201"):
            p = kix("store", "add", "--cluster", name, src, env=env, expect=2)
            check("hash prefix" in p.stderr, f"--cluster {name} is refused with why:\n{p.stderr}")
        kix("store", "add", "--cluster", "lab-20241201", src, env=env, expect=0)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
