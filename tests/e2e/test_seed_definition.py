#!/usr/bin/env python3
"""Seed 000's definition, literally: three instances, no availablePackages
line, no infrastructure module.

- it builds, auto-instantiating valkey from the built-in library, and the
  summary prints the resolution the seed shows (postgres and storage by
  alias, valkey auto-instantiated) and a note that the library claim gets
  the cluster's default StorageClass (storageClassName unset);
- no StorageClass or operator is auto-instantiated for the optional needs;
- without the library claim, the build stops with the seed's wording;
- a read-only NFS volume aliased `storage` is refused as the upload library;
- `availablePackages: []` turns auto-instantiation off: valkey is missing.
"""

import json
import os
import tempfile

from e2e_support import check, finish, kix

SEED = """cluster: my-homelab
instances:
  immich:
    immich:
      package: immich
    immich-library:
      package: persistent-volume-claim
      aliases: [storage]
      config:
        size: 200Gi
    immich-db:
      package: stackgres-cluster
      aliases: [postgres]
      config:
        postgres:
          extensions:
            - { name: vectors, publisher: tensorchord, version: "0.4.0" }
"""

LIBRARY = """    immich-library:
      package: persistent-volume-claim
      aliases: [storage]
      config:
        size: 200Gi
"""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def write(tmp, text):
    path = os.path.join(tmp, "cluster.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    definition = write(tmp, SEED)
    result = os.path.join(tmp, "result")
    out = kix("build", definition, "-o", result, env=env, expect=0).stdout
    for line in ('    postgres → immich-db (alias "postgres" in namespace immich)',
                 '    storage → immich-library (alias "storage" in namespace immich)',
                 "    valkey → valkey (auto-instantiated from the library)",
                 "auto-instantiated immich/valkey from package 'valkey'",
                 "note: PersistentVolumeClaim/immich-library @ immich names no StorageClass"):
        check(line in out, f"{line!r} in:\n{out}")
    check(out.startswith("cluster my-homelab: 4 instances (1 auto-instantiated)"), out)
    files = sorted(f for f in os.listdir(result) if f.endswith(".yaml"))
    check(not any("StorageClass" in f or "stackgres-operator" in f for f in files),
          f"nothing is auto-instantiated for optional needs: {files}")
    claim = json.loads(kix("canon", os.path.join(result, "immich_PersistentVolumeClaim_immich-library.yaml"),
                           env=env, expect=0).stdout)
    check("storageClassName" not in claim["spec"], claim)

    write(tmp, SEED.replace(LIBRARY, ""))
    err = kix("build", definition, "-o", os.path.join(tmp, "r2"), env=env, expect=1).stderr
    check("error: no 'storage' found in cluster for namespace 'immich'" in err
          and "The package 'immich' requires a dependency named 'storage'" in err, err)

    # A read-only NFS share cannot be the upload library.
    write(tmp, SEED.replace(LIBRARY, "    nas:\n      package: nfs-volume\n      aliases: [storage]\n"
                                     "      config: { server: nas.lan, share: /photos }\n"))
    err = kix("build", definition, "-o", os.path.join(tmp, "r4"), env=env, expect=1).stderr
    check("immich 'immich' writes uploads and thumbnails to its 'storage', but 'nas' is read-only" in err, err)

    write(tmp, SEED.replace("instances:\n", "availablePackages: []\ninstances:\n", 1))
    err = kix("build", definition, "-o", os.path.join(tmp, "r3"), env=env, expect=1).stderr
    check("error: no 'valkey' found in cluster for namespace 'immich'" in err
          and "add it to availablePackages" in err, err)


if __name__ == "__main__":
    raise SystemExit(main())
