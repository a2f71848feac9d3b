#!/usr/bin/env python3
"""Result directories (docs/result-directory.md) through the real binary:
kix build -o and kix rollback -o never touch a directory of the user's,
write the whole result or nothing, record the generation only once the
result is on disk, and kix store add of a result reproduces the root that
wrote it, as does docs/kix_hash.py from the directory alone."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish, kix

EXAMPLE = os.path.join(SRC, "examples", "immich")
HASH_SCRIPT = os.path.join(SRC, "docs", "kix_hash.py")


def tree(path):
    """Every entry under `path` with its content, for "unchanged" checks."""
    out = {}
    for base, dirs, files in os.walk(path):
        for d in dirs:
            out[os.path.relpath(os.path.join(base, d), path) + "/"] = None
        for f in files:
            p = os.path.join(base, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = fh.read()
    return out


def generations(env, cluster):
    p = kix("store", "log", cluster, env=env)
    return [line.split()[0] for line in p.stdout.splitlines()] if p.returncode == 0 else []


def hash_script_root(directory):
    p = subprocess.run([sys.executable, HASH_SCRIPT, "result", directory], capture_output=True,
                       text=True)
    return p.returncode, p.stdout.strip(), p.stderr


def users_directory(path):
    os.makedirs(os.path.join(path, ".git", "objects"))
    os.makedirs(os.path.join(path, "src"))
    with open(os.path.join(path, ".git", "HEAD"), "w") as f:
        f.write("ref: refs/heads/main\n")
    with open(os.path.join(path, "src", "main.cc"), "w") as f:
        f.write("int main() {}\n")
    with open(os.path.join(path, "root"), "w") as f:
        f.write("x\n")


def limited_file_size(limit):
    """A preexec_fn: files may not grow beyond `limit` bytes (EFBIG, not a signal)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), NO_COLOR="1")
        gen1 = kix("build", EXAMPLE, "-o", os.path.join(tmp, "first"), env=env, expect=0)
        root1 = gen1.stdout.strip().splitlines()[-1]

        # Rollback and add back: the root that wrote it, by kix and by the script.
        out = os.path.join(tmp, "out")
        kix("rollback", "my-homelab@1", "-o", out, env=env, expect=0)
        names = sorted(os.listdir(out))
        check("root" in names and "graph" in names, f"root and graph are written: {names}")
        check(not any(n.endswith((".json", ".yml")) for n in names),
              f"nothing but *.yaml is a manifest for kubectl apply -f: {names}")
        added = kix("store", "add", "--cluster", "copy", out, env=env, expect=0)
        check(added.stdout.strip().splitlines()[-1] == root1,
              f"store add of the rollback result prints generation 1's root:\n{added.stdout}")
        check(generations(env, "copy") == ["1"], "the copy history has one generation")
        code, script_root, err = hash_script_root(out)
        check(code == 0 and script_root == root1,
              f"docs/kix_hash.py result gives generation 1's root: {script_root} ({err})")
        same = kix("diff", out, "--against", "my-homelab@1", env=env)
        check(same.returncode == 0, f"the result and generation 1 do not differ:\n{same.stdout}")

        # A directory of the user's is refused, by build and by rollback, and left as it was.
        for command in (["build", EXAMPLE], ["rollback", "my-homelab@1"]):
            mine = os.path.join(tmp, "mine-" + command[0])
            users_directory(mine)
            before = tree(mine)
            gens = generations(env, "my-homelab")
            p = kix(*command, "-o", mine, env=env, expect=2)
            check("is not a kix result" in p.stderr and ".git" in p.stderr,
                  f"{command[0]}: the error names the problem:\n{p.stderr}")
            check(tree(mine) == before, f"{command[0]}: the user's directory is unchanged")
            check(generations(env, "my-homelab") == gens,
                  f"{command[0]}: no generation is recorded for a refused output")

        # A trailing slash names the directory itself, for both commands.
        for command in (["build", EXAMPLE], ["rollback", "my-homelab@1"]):
            slash = os.path.join(tmp, "slash-" + command[0]) + "/"
            kix(*command, "-o", slash, env=env, expect=0)
            kix(*command, "-o", slash, env=env, expect=0)  # replaces its own result
            check(os.path.isfile(os.path.join(slash, "root")), f"{command[0]} -o DIR/ writes DIR")
            leftovers = [n for n in os.listdir(tmp) if n.startswith(".slash")]
            check(leftovers == [], f"{command[0]} leaves no temporary siblings: {leftovers}")

        # A write that fails records no generation and keeps the previous result: a
        # 256 KiB ConfigMap where files may not grow beyond 128 KiB (the store itself
        # needs less than that to open and read).
        big_dir = os.path.join(tmp, "big")
        os.mkdir(big_dir)
        with open(os.path.join(big_dir, "cm.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n"
                    "data:\n  a: %s\n" % ("x" * (256 << 10)))
        kix("store", "add", "--cluster", "big", big_dir, env=env, expect=0)
        kix("rollback", "my-homelab@1", "-o", out, env=env, expect=0)
        out_before = tree(out)
        gens = generations(env, "big")
        p = subprocess.run([KIX, "rollback", "big", "-o", out], env=env,
                           capture_output=True, text=True, preexec_fn=limited_file_size(128 << 10))
        check(p.returncode == 2 and "cannot write" in p.stderr,
              f"a file that cannot be written is an error: exit {p.returncode}\n{p.stderr}")
        check(generations(env, "big") == gens, "a failed write records no generation")
        check(tree(out) == out_before, "a failed write leaves the previous result")
        check([n for n in os.listdir(tmp) if n.startswith(".out.")] == [],
              "a failed write leaves no temporary directory")

        # The same on a full file system (a small tmpfs), where this machine lets us mount one.
        small = os.path.join(tmp, "small")
        os.mkdir(small)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", small],
                                 capture_output=True).returncode == 0
        if mounted:
            try:
                gens = generations(env, "my-homelab")
                p = kix("build", EXAMPLE, "-o", os.path.join(small, "out"), env=env, expect=2)
                check("No space left on device" in p.stderr and "disk" in p.stderr,
                      f"ENOSPC names the problem and what to do:\n{p.stderr}")
                check(generations(env, "my-homelab") == gens, "ENOSPC records no generation")
                check(os.listdir(small) == [], f"ENOSPC leaves nothing: {os.listdir(small)}")
            finally:
                subprocess.run(["umount", small])
        else:
            print("note: cannot mount a tmpfs here; the RLIMIT_FSIZE case above covers a failed write")

        # A resource name of 253 characters: every file name fits in 255 bytes.
        long_dir = os.path.join(tmp, "long")
        os.mkdir(long_dir)
        name = "n" * 253
        with open(os.path.join(long_dir, "cm.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
                    "  namespace: %s\ndata:\n  a: b\n" % (name, "s" * 63))
        added = kix("store", "add", "--cluster", "long-names", long_dir, env=env, expect=0)
        long_root = added.stdout.strip().splitlines()[-1]
        long_out = os.path.join(tmp, "long-out")
        kix("rollback", "long-names", "-o", long_out, env=env, expect=0)
        files = os.listdir(long_out)
        check(all(len(f.encode()) <= 255 for f in files), f"file names fit: {[len(f) for f in files]}")
        again = kix("store", "add", long_out, "--cluster", "long-names", env=env, expect=0)
        check(again.stdout.strip().splitlines()[-1] == long_root, "the long-name result reads back")

        # Leftovers of a killed writer are removed; a live process's are not.
        stale = os.path.join(tmp, ".out.tmp-999999999")
        os.makedirs(os.path.join(stale, "secret"))
        alive = os.path.join(tmp, ".out.tmp-%d" % os.getpid())
        os.makedirs(alive)
        kix("rollback", "my-homelab@1", "-o", out, env=env, expect=0)
        check(not os.path.exists(stale), "a dead writer's temporary directory is removed")
        check(os.path.exists(alive), "a live process's temporary directory is kept")
        shutil.rmtree(alive)

        # A hand-edited result: added as it is now, with a warning, under a new root.
        victim = os.path.join(out, "immich_ConfigMap_immich.yaml")
        with open(victim) as f:
            text = f.read()
        with open(victim, "w") as f:
            f.write(text.replace("immich", "immich-edited", 1) if "immich" in text else text + "")
        edited = kix("store", "add", out, env=env, expect=0)
        check("edited" in edited.stderr, f"an edited result is warned about:\n{edited.stderr}")
        code, script_root, err = hash_script_root(out)
        check(code == 1 and script_root == edited.stdout.strip().splitlines()[-1],
              f"the script sees the same edit: {code} {script_root} {err}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
