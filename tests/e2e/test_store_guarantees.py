#!/usr/bin/env python3
"""Store guarantees (issue 2 item 5), each able to fail:
- a killed add leaves no partial generation and verify passes;
- 4 processes adding at once lose nothing and never say "database is locked";
- gc running during adds never deletes what an add writes;
- a flipped byte in a stored blob is found by verify and named;
- secret values never appear in the output of add/ls/show/cat/diff/log/verify/gc;
- bad input leaves the store unchanged and exits 2.
"""
import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

KIX = os.environ["KIX"]


def fail(msg):
    sys.exit("FAIL: " + msg)


def run(env, *args, expect=0, stdin=None):
    p = subprocess.run([KIX, *args], env=env, capture_output=True, text=True, input=stdin)
    if expect is not None and p.returncode != expect:
        fail(f"kix {' '.join(args)}: exit {p.returncode}, expected {expect}\n"
             f"stdout:\n{p.stdout[-2000:]}\nstderr:\n{p.stderr[-2000:]}")
    return p


def last_line(p):
    return p.stdout.strip().splitlines()[-1]


def write_configmaps(directory, count, tag, per_file=500):
    """`count` ConfigMaps carrying `tag`, several documents per file."""
    os.makedirs(directory, exist_ok=True)
    for start in range(0, count, per_file):
        docs = []
        for i in range(start, min(count, start + per_file)):
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n"
                        f"  namespace: ns-{i % 5}\ndata:\n  tag: \"{tag}\"\n"
                        f"  payload: \"{'x' * 200}{i}\"\n")
        with open(os.path.join(directory, f"part-{start:06d}.yaml"), "w") as f:
            f.write("---\n".join(docs))


def dump(store):
    con = sqlite3.connect(os.path.join(store, "store.db"))
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def verify_ok(env, context):
    p = run(env, "store", "verify", expect=None)
    if p.returncode != 0:
        fail(f"verify failed {context}:\n{p.stdout}\n{p.stderr}")


def generations(env, cluster):
    p = run(env, "store", "log", cluster, "--format", "json", expect=None)
    return json.loads(p.stdout) if p.returncode == 0 else []


# --- a killed add ---------------------------------------------------------------

def test_killed_add(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "kill-store"))
    count = 20000
    src = os.path.join(tmp, "kill-src")
    write_configmaps(src, count, "warmup")
    start = time.monotonic()
    run(env, "store", "add", "--cluster", "k", src)
    duration = time.monotonic() - start
    killed = 0
    for attempt in range(10):
        shutil.rmtree(src)
        write_configmaps(src, count, f"round-{attempt}")
        before = len(generations(env, "k"))
        p = subprocess.Popen([KIX, "store", "add", "--cluster", "k", src], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * (0.2 + 0.09 * attempt))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
        gens = generations(env, "k")
        if len(gens) not in (before, before + 1):
            fail(f"generations went from {before} to {len(gens)} after a killed add")
        for g in gens[before:]:
            n = len(run(env, "store", "ls", g["root"]).stdout.splitlines())
            if n != count:
                fail(f"a generation recorded by a killed add has {n} of {count} resources")
        verify_ok(env, f"after killing an add (attempt {attempt})")
    if killed == 0:
        fail("no add was still running when killed; the input is too small for this machine")


# --- concurrent adds --------------------------------------------------------------

def test_concurrent_adds(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "concurrent-store"))
    procs = []
    for i in range(4):
        src = os.path.join(tmp, f"conc-{i}")
        # Half of the content is shared between the writers, half is their own.
        write_configmaps(os.path.join(src, "shared"), 1000, "shared")
        write_configmaps(os.path.join(src, "own"), 1000, f"writer-{i}")
        for f in os.listdir(os.path.join(src, "own")):
            os.rename(os.path.join(src, "own", f), os.path.join(src, "own", "own-" + f))
    for round_ in range(3):
        procs = [subprocess.Popen([KIX, "store", "add", "--cluster", f"w{i}", "-m", f"round {round_}",
                                   os.path.join(tmp, f"conc-{i}", "own")],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(4)]
        procs += [subprocess.Popen([KIX, "store", "add", "--cluster", f"s{i}",
                                    os.path.join(tmp, f"conc-{i}", "shared")],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for i in range(4)]
        for p in procs:
            out, err = p.communicate()
            if p.returncode != 0 or "locked" in err or "busy" in err:
                fail(f"a concurrent add failed (exit {p.returncode}):\n{err}")
    # Four writers appending to one cluster at once get four distinct numbers.
    procs = [subprocess.Popen([KIX, "store", "add", "--cluster", "same", "-m", f"writer {i}",
                               os.path.join(tmp, f"conc-{i}", "own")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0 or "locked" in err or "busy" in err:
            fail(f"a concurrent add to one cluster failed (exit {p.returncode}):\n{err}")
    same = generations(env, "same")
    if sorted(g["number"] for g in same) != [1, 2, 3, 4] or \
            sorted(g["message"] for g in same) != [f"writer {i}" for i in range(4)]:
        fail(f"concurrent adds to one cluster recorded {same}")
    for i in range(4):
        for name in (f"w{i}", f"s{i}"):
            gens = generations(env, name)
            if len(gens) != 3:
                fail(f"cluster {name} has {len(gens)} generations instead of 3")
            n = len(run(env, "store", "ls", name).stdout.splitlines())
            if n != 1000:
                fail(f"cluster {name} lists {n} resources instead of 1000")
    verify_ok(env, "after concurrent adds")


# --- gc during adds ---------------------------------------------------------------

def test_gc_during_adds(tmp):
    """A writer keeps adding (with a generation) content that another writer
    adds without one, while gc keeps collecting: blobs the first writer
    decided to reuse may be collected under it, and its re-check must
    rewrite them."""
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "gc-store"))
    src = os.path.join(tmp, "gc-src")
    write_configmaps(src, 2000, "gc")
    roots = []
    deadline = time.monotonic() + 20
    gc_runs = 0
    for round_ in range(6):
        loose = subprocess.Popen([KIX, "store", "add", src], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kept = subprocess.Popen([KIX, "store", "add", "--cluster", "g", src], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while kept.poll() is None and time.monotonic() < deadline:
            run(env, "store", "gc")
            gc_runs += 1
        out, err = kept.communicate()
        if kept.returncode != 0:
            fail(f"an add during gc failed:\n{err}")
        roots.append(out.strip().splitlines()[-1])
        _, lerr = loose.communicate()
        if loose.returncode != 0:
            fail(f"an add during gc failed:\n{lerr}")
        run(env, "store", "gc")
        # Everything the kept add wrote must be readable: ls, and cat of a resource.
        ls = run(env, "store", "ls", roots[-1]).stdout.splitlines()
        if len(ls) != 2000:
            fail(f"root {roots[-1]} lists {len(ls)} resources after gc, not 2000")
        run(env, "store", "cat", ls[round_].split()[0])
        shutil.rmtree(src)
        write_configmaps(src, 2000, f"gc-{round_ % 2}")
    if gc_runs == 0:
        fail("gc never ran while an add was running")
    verify_ok(env, "after gc during adds")


# --- a flipped byte ---------------------------------------------------------------

def test_flipped_byte(tmp):
    store = os.path.join(tmp, "flip-store")
    env = dict(os.environ, KIX_STORE=store)
    src = os.path.join(tmp, "flip-src")
    write_configmaps(src, 50, "flip")
    run(env, "store", "add", "--cluster", "f", src)
    verify_ok(env, "before flipping a byte")
    con = sqlite3.connect(os.path.join(store, "store.db"))
    blob, data = con.execute("SELECT hex(hash), data FROM blobs ORDER BY hash LIMIT 1 OFFSET 7").fetchone()
    data = bytearray(data)
    data[len(data) // 2] ^= 0x20
    con.execute("UPDATE blobs SET data = ? WHERE hex(hash) = ?", (bytes(data), blob))
    con.commit()
    con.close()
    p = run(env, "store", "verify", expect=1)
    if f"blob {blob.lower()}" not in p.stdout:
        fail(f"verify did not name blob {blob.lower()}:\n{p.stdout}")
    if "ConfigMap/cm-" not in p.stdout or "f@1" not in p.stdout:
        fail(f"verify did not name the affected resource and generation:\n{p.stdout}")
    # --repair --from restores it from the original manifests.
    run(env, "store", "verify", "--repair", "--from", src)
    verify_ok(env, "after --repair --from")


# --- secrets ------------------------------------------------------------------------

def test_secrets_never_printed(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "secret-store"))
    src = os.path.join(tmp, "secret-src")
    os.makedirs(src)
    values = ["Sup3rS3cretValue-one", "Sup3rS3cretValue-two"]
    encoded = [base64.b64encode(v.encode()).decode() for v in values]

    def write(gen):
        with open(os.path.join(src, "secret.yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\n"
                    f"stringData:\n  password: {values[gen]}\ndata:\n  token: {encoded[gen]}\n")
        with open(os.path.join(src, "deploy.yaml"), "w") as f:
            f.write("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: app}\n"
                    "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
                    "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
                    "      - name: web\n        image: web:1\n        env:\n        - name: PW\n"
                    "          valueFrom: {secretKeyRef: {name: db, key: password}}\n")

    outputs = []
    write(0)
    outputs.append(run(env, "store", "add", "--cluster", "sec", src))
    write(1)
    outputs.append(run(env, "store", "add", "--cluster", "sec", src))
    ls = run(env, "store", "ls", "sec")
    outputs.append(ls)
    secret_node = next(line.split()[0] for line in ls.stdout.splitlines() if "Secret" in line)
    for args in (["show", "sec"], ["show", secret_node], ["cat", secret_node],
                 ["cat", secret_node, "--format", "json"], ["log", "sec"], ["verify"],
                 ["closure", "sec"], ["gc", "--dry-run"], ["gc"]):
        outputs.append(run(env, "store", *args))
    for fmt in ("text", "json", "markdown"):
        p = run(env, "store", "diff", "sec@1", "sec@2", "--format", fmt, expect=1)
        if "password" not in p.stdout:
            fail(f"diff --format {fmt} does not show that the secret changed:\n{p.stdout}")
        outputs.append(p)
    for p in outputs:
        for v in values + encoded:
            if v in p.stdout or v in p.stderr:
                fail(f"secret value printed by kix {' '.join(p.args[1:])}:\n{p.stdout}\n{p.stderr}")
    shown = run(env, "store", "cat", secret_node, "--show-secrets").stdout
    if values[1] not in shown:
        fail("cat --show-secrets does not show the value")


# --- bad input ----------------------------------------------------------------------

def test_bad_input_leaves_store_unchanged(tmp):
    store = os.path.join(tmp, "bad-store")
    env = dict(os.environ, KIX_STORE=store)
    src = os.path.join(tmp, "bad-src")
    write_configmaps(src, 20, "good")
    run(env, "store", "add", "--cluster", "b", src)
    before = dump(store)
    bad = os.path.join(tmp, "bad-yaml")
    os.makedirs(bad)
    with open(os.path.join(bad, "broken.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n")
    with open(os.path.join(bad, "dup.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1, k: 2}\n")
    cases = [
        ["store", "add", "--cluster", "b", os.path.join(bad, "broken.yaml")],
        ["store", "add", "--cluster", "b", os.path.join(bad, "dup.yaml")],
        ["store", "add", "--cluster", "b", src, os.path.join(tmp, "does-not-exist")],
        ["store", "add", "--cluster", "bad name", src],
        ["store", "ls", "no-such-cluster"],
        ["store", "ls", "deadbeefdeadbeef"],
        ["store", "diff", "b@1", "b@7"],
        ["store", "cat", "b"],
        ["store", "pin", "nothing@1"],
        ["rollback", "nope", "-o", os.path.join(tmp, "bad-out")],
        ["store", "gc", "--older-than", "soon"],
    ]
    junk = os.path.join(tmp, "junk.kix")
    with open(junk, "wb") as f:
        f.write(b"\x28\xb5\x2f\xfd" + os.urandom(200))
    cases.append(["store", "import", junk])
    for args in cases:
        p = run(env, *args, expect=2)
        if "error" not in p.stderr:
            fail(f"kix {' '.join(args)} exited 2 without an error message")
    p = run(env, "store", "add", "-", expect=2, stdin="a: [\n")
    if dump(store) != before:
        fail("bad input changed the store")
    if os.path.exists(os.path.join(tmp, "bad-out")):
        fail("a failed rollback created its output directory")


def main():
    tmp = tempfile.mkdtemp(prefix="kix-store-guarantees-")
    try:
        for test in (test_bad_input_leaves_store_unchanged, test_secrets_never_printed,
                     test_flipped_byte, test_concurrent_adds, test_gc_during_adds,
                     test_killed_add):
            started = time.monotonic()
            test(tmp)
            print(f"ok {test.__name__} ({time.monotonic() - started:.1f}s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
