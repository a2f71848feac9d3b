#!/usr/bin/env python3
"""`kix store add` is incremental and its hashes never move
(docs/store.md, "Incremental add"):

- the roots of a generated corpus are exactly those kix 0.2.0 computed,
  whether the generations are added as separate trees, as one tree edited in
  place (the stat cache answering for unchanged files), with --reread, or
  with the cache deleted;
- an unchanged file is not read again; a file rewritten with other bytes
  but the same size and mtime (ctime moves) is;
- a damaged cache is ignored; the store still verifies;
- a blob the cache promised but a fresh store lacks is read back from its
  file;
- input too large for the memory budget goes through the spool and adds the
  same root.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from e2e_support import KIX, SRC, check, finish, kix

GENERATE = os.path.join(SRC, "bench", "generate.py")
# Roots kix 0.2.0 wrote for `bench/generate.py resources --resources 400
# --generations 3 --churn 5 --seed 7`, generation by generation.
GOLDEN = [
    "c69103f8aaa589234587e795b170bef57d9fdfc493c1a95522df66e08ff249f7",
    "f99e022f74588bcda10e5136474467250801f67dc180bf1b7abc78cbaa4a35be",
    "6593b513bd409f2c8615284dda70c4e2a2995ef3b80133c334e1631ff3909e6c",
]


def root_of(proc):
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def summary_of(proc):
    return next((line for line in proc.stdout.splitlines() if line.startswith("added ")), "")


def set_old_times(tree):
    """Two hours back, so no file is racily clean (its ctime still moves)."""
    old = time.time() - 7200
    for directory, _, names in os.walk(tree):
        for name in names:
            os.utime(os.path.join(directory, name), (old, old))


def copy_changed(src, dst):
    """Writes the files of `src` that differ into `dst`, as an editor would."""
    changed = 0
    for directory, _, names in os.walk(src):
        for name in names:
            a = os.path.join(directory, name)
            b = os.path.join(dst, os.path.relpath(a, src))
            with open(a, "rb") as f:
                data = f.read()
            if not os.path.exists(b) or open(b, "rb").read() != data:
                with open(b, "wb") as f:
                    f.write(data)
                changed += 1
    return changed


def main():
    with tempfile.TemporaryDirectory(prefix="kix-incremental-") as tmp:
        corpus = os.path.join(tmp, "corpus")
        subprocess.run([sys.executable, GENERATE, "resources", corpus, "--resources", "400",
                        "--generations", "3", "--churn", "5", "--seed", "7"], check=True,
                       stdout=subprocess.DEVNULL)

        # 1. Separate trees: the roots of the previous release.
        separate = os.path.join(tmp, "separate")
        for g in range(3):
            p = kix("--store", separate, "store", "add", os.path.join(corpus, f"gen-00{g + 1}"),
                    "--cluster", "golden", expect=0)
            check(root_of(p) == GOLDEN[g], f"generation {g + 1}: root {root_of(p)}, "
                  f"kix 0.2.0 wrote {GOLDEN[g]}")

        # 2. One tree edited in place: the cache answers for unchanged files.
        tree = os.path.join(tmp, "tree")
        shutil.copytree(os.path.join(corpus, "gen-001"), tree)
        set_old_times(tree)
        store = os.path.join(tmp, "store")
        cache = os.path.join(store, "ingest-cache")
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        check(root_of(p) == GOLDEN[0], "in-place generation 1: " + root_of(p))
        check(os.path.exists(cache), "the first add wrote no stat cache")
        # The copy's ctimes are new, so the first add's entries are racily
        # clean: wait a second and add once more to get trusted entries.
        time.sleep(1.1)
        kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        time.sleep(1.1)
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        check("read 0 of 400 files; 400 unchanged" in p.stdout,
              "an unchanged tree was read again:\n" + p.stdout)
        # An unchanged file is not read: make one unreadable and add again.
        victim = os.path.join(tree, sorted(os.listdir(tree))[0])
        victim = os.path.join(victim, sorted(os.listdir(victim))[0])
        if os.geteuid() != 0:  # root reads anything; the check needs a user
            os.chmod(victim, 0)
            p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
            check(root_of(p) == GOLDEN[0], "an unreadable unchanged file was read")
            os.chmod(victim, 0o644)
        previous = 0
        for g in (2, 3):
            changed = copy_changed(os.path.join(corpus, f"gen-00{g}"), tree)
            check(changed > 0, f"generation {g} changed no file")
            p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
            check(root_of(p) == GOLDEN[g - 1],
                  f"in-place generation {g}: root {root_of(p)}, expected {GOLDEN[g - 1]}")
            check(" 0 new blobs" not in summary_of(p), "a changed tree added no blob")
            # The files the previous generation changed were read within a
            # second of being written (racily clean): they are read again.
            read = int(re.search(r"^read (\d+) of 400 files", p.stdout, re.M).group(1))
            check(changed <= read <= changed + previous,
                  f"{changed} files changed ({previous} the time before), but:\n" + p.stdout)
            previous = changed

        # 3. Same size, same mtime, other bytes: the ctime gives it away.
        target = None
        for directory, _, names in os.walk(tree):
            for name in names:
                if name.startswith("deployment-"):
                    target = os.path.join(directory, name)
                    break
            if target:
                break
        st = os.stat(target)
        data = open(target, "rb").read()
        swapped = re.sub(rb"replicas: (\d)",
                         lambda m: b"replicas: " + (b"7" if m.group(1) != b"7" else b"8"), data,
                         count=1)
        check(swapped != data and len(swapped) == len(data), "no replicas to change")
        time.sleep(1.1)
        with open(target, "wb") as f:
            f.write(swapped)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        check(root_of(p) != GOLDEN[2], "a rewritten file of equal size and mtime was not read")
        fresh = kix("--store", os.path.join(tmp, "fresh"), "store", "add", tree,
                    "--cluster", "golden", expect=0)
        check(root_of(p) == root_of(fresh),
              f"incremental root {root_of(p)} differs from a fresh add {root_of(fresh)}")
        with open(target, "wb") as f:
            f.write(data)

        # 4. --reread and a deleted or damaged cache give the same root.
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", "--reread", expect=0)
        check(root_of(p) == GOLDEN[2], "--reread: " + root_of(p))
        with open(cache, "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff\xff\xff")
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        check(root_of(p) == GOLDEN[2], "damaged cache: " + root_of(p))
        os.remove(cache)
        p = kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        check(root_of(p) == GOLDEN[2], "deleted cache: " + root_of(p))
        kix("--store", store, "store", "verify", expect=0)

        # 5. A cache that promises blobs this store lacks: bytes come back
        # from the files (the cache of `store`, copied into an empty store).
        time.sleep(1.1)
        kix("--store", store, "store", "add", tree, "--cluster", "golden", expect=0)
        other = os.path.join(tmp, "other")
        os.makedirs(other, mode=0o700)
        shutil.copy(cache, os.path.join(other, "ingest-cache"))
        p = kix("--store", other, "store", "add", tree, "--cluster", "golden", expect=0)
        check(root_of(p) == GOLDEN[2], "blobs read back from files: " + root_of(p))
        check("new blobs, 0 reused" in summary_of(p),
              "the empty store did not get every blob: " + summary_of(p))
        kix("--store", other, "store", "verify", expect=0)

        # 6. Files read through the spool (a 400-resource corpus is about
        # 0.6 MB; a budget of 0 spools every manifest) add the same root.
        env = dict(os.environ, KIX_INGEST_MEMORY_BUDGET="0")
        p = kix("--store", os.path.join(tmp, "spooled"), "store", "add",
                os.path.join(corpus, "gen-003"), "--cluster", "golden", env=env, expect=0)
        check(root_of(p) == GOLDEN[2], "spooled: " + root_of(p))
        kix("--store", os.path.join(tmp, "spooled"), "store", "verify", expect=0)

        # 7. The smallest working memory adds the same root; a working
        # memory that is not a size is refused, naming the variable.
        env = dict(os.environ, KIX_WORKING_MEMORY="1048576")
        p = kix("--store", os.path.join(tmp, "small"), "store", "add",
                os.path.join(corpus, "gen-003"), "--cluster", "golden", env=env, expect=0)
        check(root_of(p) == GOLDEN[2], "small working memory: " + root_of(p))
        for bad in ("-1", "16M", "1000"):
            env = dict(os.environ, KIX_WORKING_MEMORY=bad)
            p = kix("--store", os.path.join(tmp, "small"), "store", "add",
                    os.path.join(corpus, "gen-003"), env=env)
            check(p.returncode != 0 and "KIX_WORKING_MEMORY" in p.stderr,
                  "KIX_WORKING_MEMORY=%s: exit %d, %s" % (bad, p.returncode, p.stderr))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
