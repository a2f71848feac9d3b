"""`kix build examples/immich` end to end, and provenance-driven hashing.

- the build resolves aliases, auto-instantiates valkey, emits the expected
  resources with DB_HOSTNAME/REDIS_HOSTNAME from the dependencies' out.fqdn,
  writes one file per resource plus `root`, and prints the root hash last;
- two fresh stores give the same root hash;
- resizing the library PVC changes the PVC's, the server Deployment's and
  the root's hashes, but not valkey's nor the database's;
- `kix graph --format json` has the documented shape and `kix explain` names
  the instance, the package and where values came from.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KIX = os.environ["KIX"]
SOURCE = os.environ["KIX_SOURCE_DIR"]
EXAMPLE = os.path.join(SOURCE, "examples", "immich")
FAILURES = []


def check(condition, what, output=""):
    if not condition:
        FAILURES.append(what + ("\n--- output ---\n" + output if output else ""))


def kix(args, cwd, store):
    env = dict(os.environ, KIX_STORE=store, NO_COLOR="1")
    return subprocess.run([KIX] + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def load_yaml_files(directory):
    # The result is YAML; `kix canon` turns each file into canonical JSON.
    docs = {}
    for name in sorted(os.listdir(directory)):
        if name in ("root", "graph"):
            continue
        p = subprocess.run([KIX, "canon", os.path.join(directory, name)], capture_output=True, text=True)
        docs[name] = json.loads(p.stdout)
    return docs


def env_of(deployment):
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value") for e in env}


def test_build(work):
    p = kix(["build", EXAMPLE, "-o", "out"], work, os.path.join(work, "store-a"))
    check(p.returncode == 0, f"build exit code {p.returncode}", p.stderr)
    lines = p.stdout.strip().splitlines()
    root = lines[-1] if lines else ""
    check(len(root) == 64, "root hash is the last line", p.stdout)
    check("auto-instantiated immich/valkey" in p.stdout, "summary names the auto-instantiated valkey", p.stdout)
    with open(os.path.join(work, "out", "root")) as f:
        check(f.read().strip() == root, "the root file holds the printed root hash")
    docs = load_yaml_files(os.path.join(work, "out"))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs.values()}
    for want in [("Namespace", "immich"), ("Deployment", "immich-server"), ("Service", "immich-server"),
                 ("ConfigMap", "immich"), ("ServiceAccount", "immich"),
                 ("PersistentVolumeClaim", "immich-library"), ("SGCluster", "immich-db"),
                 ("StatefulSet", "valkey"), ("Service", "valkey"), ("StorageClass", "local-path")]:
        check(want in kinds, f"emits {want}", str(sorted(kinds)))
    deployment = next(d for d in docs.values() if d["kind"] == "Deployment")
    env = env_of(deployment)
    check(env.get("DB_HOSTNAME") == "immich-db.immich.svc.cluster.local", "DB_HOSTNAME from postgres.out.fqdn", str(env))
    check(env.get("REDIS_HOSTNAME") == "valkey.immich.svc.cluster.local", "REDIS_HOSTNAME from valkey.out.fqdn", str(env))
    service = next(d for d in docs.values() if d["kind"] == "Service" and d["metadata"]["name"] == "immich-server")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    check(all(pod_labels.get(k) == v for k, v in service["spec"]["selector"].items()),
          "the Service selector matches the Deployment's pods")
    labels = deployment["metadata"]["labels"]
    check(labels.get("app.kubernetes.io/managed-by") == "kix" and labels.get("app.kubernetes.io/instance") == "immich",
          "standard labels", str(labels))
    pvc = next(d for d in docs.values() if d["kind"] == "PersistentVolumeClaim")
    check(pvc["spec"].get("storageClassName") == "local-path", "the PVC resolves the infrastructure StorageClass")

    p = kix(["build", EXAMPLE, "-o", "out", "-m", "second build"], work, os.path.join(work, "store-a"))
    check(p.returncode == 0 and "stored generation 2 of my-homelab" in p.stdout, "a rebuild is generation 2", p.stdout)
    log = kix(["store", "log", "my-homelab"], work, os.path.join(work, "store-a")).stdout
    check("second build" in log and root in log, "the generation has the message and the root", log)

    p2 = kix(["build", EXAMPLE, "-o", "out2"], work, os.path.join(work, "store-b"))
    lines2 = p2.stdout.strip().splitlines()
    check(bool(lines2) and lines2[-1] == root, "a second fresh store gives the same root hash", p2.stdout + p2.stderr)


def test_output_with_trailing_slash_is_replaced_in_place(work):
    # "-o dir/" names the directory dir; a rebuild replaces it without
    # leaving temporary siblings behind.
    case = os.path.join(work, "slash")
    os.mkdir(case)
    for attempt in (1, 2):
        p = kix(["build", EXAMPLE, "-o", "res/"], case, os.path.join(work, "store-a"))
        check(p.returncode == 0, f"build -o res/ (attempt {attempt}): exit code {p.returncode}", p.stderr)
    check(os.path.isfile(os.path.join(case, "res", "root")), "res/root exists after -o res/")
    check(sorted(os.listdir(case)) == ["res"], "nothing but res/ is left", str(os.listdir(case)))


def graph(work, definition):
    p = kix(["graph", definition, "--format", "json"], work, os.path.join(work, "store-g"))
    check(p.returncode == 0, "graph exit code", p.stderr)
    return json.loads(p.stdout)


def node_of(g, kind, name):
    return next(n["node"] for n in g["nodes"] if n["kind"] == kind and n["name"] == name)


def test_resize_rehashes_only_dependents(work):
    copy = os.path.join(work, "resized")
    shutil.copytree(EXAMPLE, copy)
    path = os.path.join(copy, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    check("size: 200Gi" in text, "the example has a 200Gi library")
    with open(path, "w") as f:
        f.write(text.replace("size: 200Gi", "size: 300Gi"))
    before, after = graph(work, EXAMPLE), graph(work, copy)
    for kind, name in [("PersistentVolumeClaim", "immich-library"), ("Deployment", "immich-server")]:
        check(node_of(before, kind, name) != node_of(after, kind, name), f"{kind}/{name} is rehashed")
    check(before["root"] != after["root"], "the root is rehashed")
    for kind, name in [("StatefulSet", "valkey"), ("Service", "valkey"), ("SGCluster", "immich-db"),
                       ("StorageClass", "local-path"), ("ConfigMap", "immich")]:
        check(node_of(before, kind, name) == node_of(after, kind, name), f"{kind}/{name} keeps its hash")


def test_graph_shape_and_explain(work):
    g = graph(work, EXAMPLE)
    check(set(g) >= {"nodes", "edges"}, "graph has nodes and edges")
    for n in g["nodes"]:
        check(set(n) >= {"node", "apiVersion", "kind", "namespace", "name", "instance"}, "node fields", str(n))
    ids = {n["node"]: (n["kind"], n["name"]) for n in g["nodes"]}
    edges = {(ids[e["from"]], ids[e["to"]]) for e in g["edges"]}
    check((("Deployment", "immich-server"), ("PersistentVolumeClaim", "immich-library")) in edges,
          "Deployment -> PVC edge", str(sorted(edges)))
    check((("Deployment", "immich-server"), ("Service", "valkey")) in edges, "Deployment -> valkey Service edge")
    check((("PersistentVolumeClaim", "immich-library"), ("StorageClass", "local-path")) in edges, "PVC -> StorageClass edge")
    check(not any(src == ("StatefulSet", "valkey") and dst[0] == "PersistentVolumeClaim" for src, dst in edges),
          "valkey does not depend on the library")
    p = kix(["graph", EXAMPLE, "--format", "dot"], work, os.path.join(work, "store-g"))
    check(p.stdout.startswith('digraph "my-homelab"') and "->" in p.stdout, "dot output", p.stdout[:200])
    p = kix(["explain", EXAMPLE, "Deployment/immich-server"], work, os.path.join(work, "store-g"))
    check(p.returncode == 0, "explain exit code", p.stderr)
    for want in ["made by instance immich/immich of package 'immich'", "valkey -> immich/valkey (auto-instantiated)",
                 "${postgres.out.fqdn}", "from SGCluster/immich-db @ immich", "PersistentVolumeClaim/immich-library @ immich"]:
        check(want in p.stdout, "explain mentions " + want, p.stdout)
    p = kix(["explain", EXAMPLE, "Deployment/nope"], work, os.path.join(work, "store-g"))
    check(p.returncode == 2 and "no resource Deployment/nope" in p.stderr, "explain of a missing resource", p.stderr)


def main():
    with tempfile.TemporaryDirectory() as work:
        test_build(work)
        test_output_with_trailing_slash_is_replaced_in_place(work)
        test_resize_rehashes_only_dependents(work)
        test_graph_shape_and_explain(work)
    for f in FAILURES:
        print("FAIL:", f, file=sys.stderr)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
