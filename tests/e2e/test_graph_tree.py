#!/usr/bin/env python3
"""kix graph --format tree: the dependency tree of seed 000 for
examples/immich, exactly; box-drawing characters only under a UTF-8
locale; and for examples/immich-lab, a shared dependency drawn once and
named "(shown above)" after, with every instance and every need of the
build's JSON on some line."""
import json
import os
import tempfile

from e2e_support import SRC, check, finish, kix

IMMICH = """\
Namespace: immich
immich  ConfigMap + ServiceAccount + Deployment + Service
├── postgres → immich-db (alias "postgres" in namespace immich)  SGCluster
│   ├── storageClass → local-path (from the cluster infrastructure)  StorageClass
│   └── stackgresOperator → stackgres-operator (from the cluster infrastructure)  (external: provides out by hand)
├── valkey → valkey (auto-instantiated from the library)  StatefulSet + Service
│   └── storageClass → local-path (from the cluster infrastructure)  StorageClass
├── storage → immich-library (alias "storage" in namespace immich)  PersistentVolumeClaim
│   └── storageClass → local-path (from the cluster infrastructure)  StorageClass
├── machineLearning: optional, none found
└── photos: optional, none found
"""


def main():
    utf8 = dict(os.environ, LC_ALL="C.UTF-8")
    ascii_env = dict(os.environ, LC_ALL="C")
    immich = os.path.join(SRC, "examples", "immich")
    tree = kix("graph", immich, "--format", "tree", env=utf8, expect=0).stdout
    check(tree == IMMICH, f"the tree of examples/immich:\n{tree}")

    plain = kix("graph", immich, "--format", "tree", env=ascii_env, expect=0).stdout
    expected = (IMMICH.replace("├── ", "|-- ").replace("└── ", "`-- ").replace("│   ", "|   ")
                .replace("→", "->"))
    check(plain == expected, f"ASCII branches outside a UTF-8 locale:\n{plain}")

    lab = os.path.join(SRC, "examples", "immich-lab")
    tree = kix("graph", lab, "--format", "tree", env=utf8, expect=0).stdout
    check("embeddingsDatabase → postgres-pgvector (wired by deps)  (shown above)" in tree, tree)
    check(tree.count("postgres → postgres-pgvector") == 1, f"drawn once:\n{tree}")
    with tempfile.TemporaryDirectory() as tmp:
        build = json.loads(kix("build", lab, "-o", os.path.join(tmp, "result"), "--format", "json",
                               env=dict(utf8, KIX_STORE=os.path.join(tmp, "store")),
                               expect=0).stdout)
    lines = tree.splitlines()
    for inst in build["instances"]:
        name = inst["instance"].split("/", 1)[1]
        check(any(line.startswith(name + "  ") or f"→ {name} " in line for line in lines),
              f"{inst['instance']} is in the tree:\n{tree}")
        for need in inst["needs"]:
            check(any(f"{need['need']} → " in l or f"{need['need']}: optional" in l for l in lines),
                  f"{inst['instance']}'s need {need['need']} is in the tree:\n{tree}")
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
