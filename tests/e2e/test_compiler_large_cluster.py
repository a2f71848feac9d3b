"""A generated cluster of 1,000 declared instances (250 namespaces of
immich, library, database and ML worker; valkey auto-instantiated in each)
compiles, validates, and gives the same root hash twice. Not timed: the
numbers are measured by hand with /usr/bin/time.
"""
import json
import os
import subprocess
import sys
import tempfile

KIX = os.environ["KIX"]
NAMESPACES = 250


def definition():
    lines = ["cluster: large", "availablePackages: [valkey]",
             "infrastructure:", "  standard: { package: storage-class, aliases: [storageClass] }", "instances:"]
    for i in range(NAMESPACES):
        lines += [f"  ns{i:03d}:",
                  "    immich: { package: immich }",
                  f"    library: {{ package: persistent-volume-claim, aliases: [storage], config: {{ size: {100 + i}Gi }} }}",
                  "    db:",
                  "      package: stackgres-cluster",
                  "      aliases: [postgres]",
                  "      config: { postgres: { extensions: [ { name: vectors, publisher: tensorchord, version: '0.4.0' } ] } }",
                  "    ml: { package: immich-machine-learning, aliases: [machineLearning] }"]
    return "\n".join(lines) + "\n"


def main():
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "cluster.yaml"), "w") as f:
            f.write(definition())
        roots = []
        for _ in range(2):
            p = subprocess.run([KIX, "graph", work, "--format", "json"], capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                print(p.stderr, file=sys.stderr)
                return 1
            g = json.loads(p.stdout)
            roots.append(g["root"])
        # Per namespace: Namespace, 4 immich, PVC, SGCluster, 2 ML, 2 valkey; plus the StorageClass.
        want = NAMESPACES * 11 + 1
        if len(g["nodes"]) != want:
            print(f"FAIL: {len(g['nodes'])} resources, want {want}", file=sys.stderr)
            return 1
        if roots[0] != roots[1]:
            print("FAIL: the root hash differs between two compilations", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
