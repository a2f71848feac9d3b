#!/usr/bin/env python3
"""History travels with `kix store export` and `kix store import`, with the
real binary and a scripted kubectl (there is no API server here):

- a cluster's generations (number, time, message), its deployment records
  and, with --pins, its pins arrive in an empty store: `kix store log` shows
  the same history, `kix rollback NAME@1` writes generation 1's root, and
  gc keeps every imported generation;
- importing again adds nothing; a store whose own generation 1 differs
  refuses the import (exit 2, naming both entries, the store unchanged)
  and takes it under another name with --as;
- --history N sends the newest N generations; --no-history sends objects
  only, which gc collects unless pinned.
"""

import json
import os
import sys
import tempfile

from e2e_support import check, finish, immich_copy, kix, scripted_kubectl

def log_of(env, name):
    return json.loads(kix("store", "log", name, "--format", "json", env=env, expect=0).stdout)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    definition = immich_copy(tmp)
    kubectl = scripted_kubectl(tmp)
    a = dict(os.environ, KIX_STORE=os.path.join(tmp, "a"), KIX_KUBECTL=kubectl)
    b = dict(os.environ, KIX_STORE=os.path.join(tmp, "b"))

    kix("build", definition, "-o", os.path.join(tmp, "r1"), "-m", "first", env=a, expect=0)
    kix("deploy", definition, "--context", "lab", env=a, expect=0)
    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("size: 200Gi", "size: 300Gi"))
    kix("build", definition, "-o", os.path.join(tmp, "r2"), "-m", "second", env=a, expect=0)
    history = log_of(a, "my-homelab")
    check(len(history) == 2 and history[0]["deployed"] and history[1]["current"], history)
    kix("store", "pin", "my-homelab@1", env=a, expect=0)

    archive = os.path.join(tmp, "homelab.kix")
    out = kix("store", "export", "my-homelab", "--pins", "-o", archive, env=a, expect=0).stdout
    check("2 generations and 1 deployment record of my-homelab; 1 pin" in out, out)

    # An empty store gets the same history, and rollback works there.
    out = kix("store", "import", archive, env=b, expect=0).stdout
    check("new here: 2 generations, 1 deployment record, 1 pin" in out, out)
    check(log_of(b, "my-homelab") == history, f"{log_of(b, 'my-homelab')} != {history}")
    kix("store", "gc", env=b, expect=0)
    check(log_of(b, "my-homelab") == history, "gc after import must keep the imported history")
    kix("rollback", "my-homelab@1", "-o", os.path.join(tmp, "back"), env=b, expect=0)
    with open(os.path.join(tmp, "back", "root")) as f:
        check(f.read().split()[0] == history[0]["root"], "rollback in the importing store")
    check("pinned      yes" in kix("store", "show", history[0]["root"], env=b, expect=0).stdout,
          "the pin travelled")
    out = kix("store", "import", archive, env=b, expect=0).stdout
    check("new here: 0 generations, 0 deployment records, 0 pins" in out, out)

    # A store with its own generation 1 of the same name.
    c = dict(os.environ, KIX_STORE=os.path.join(tmp, "c"))
    kix("build", definition, "-o", os.path.join(tmp, "r3"), env=c, expect=0)
    before = log_of(c, "my-homelab")
    err = kix("store", "import", archive, env=c, expect=2).stderr
    check("generation 1 of cluster 'my-homelab' differs" in err and history[0]["root"][:12] in err
          and before[0]["root"][:12] in err and "--as" in err, err)
    check(log_of(c, "my-homelab") == before, "a refused import changed the history")
    kix("store", "import", archive, "--as", "homelab-a", env=c, expect=0)
    check([g["root"] for g in log_of(c, "homelab-a")] == [g["root"] for g in history], "--as")

    # Less history, or none.
    d = dict(os.environ, KIX_STORE=os.path.join(tmp, "d"))
    kix("store", "export", "my-homelab", "--history", "1", "-o", archive, env=a, expect=0)
    kix("store", "import", archive, env=d, expect=0)
    check([g["number"] for g in log_of(d, "my-homelab")] == [2], log_of(d, "my-homelab"))
    e = dict(os.environ, KIX_STORE=os.path.join(tmp, "e"))
    kix("store", "export", "my-homelab", "--no-history", "-o", archive, env=a, expect=0)
    kix("store", "import", archive, env=e, expect=0)
    kix("store", "log", "my-homelab", env=e, expect=2)
    out = kix("store", "gc", env=e, expect=0).stdout
    check(kix("store", "show", history[1]["root"], env=e).returncode == 2,
          f"without history or a pin, gc collects the import:\n{out}")


if __name__ == "__main__":
    sys.exit(main())
