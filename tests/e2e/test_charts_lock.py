#!/usr/bin/env python3
"""Charts and kix.lock with the real binary, the real helm, and a real chart
repository (`helm repo index` plus Python's static HTTP server on a free
loopback port), serving the real cloudnative-pg 0.29.0 archive:

- a build before `kix lock` fails (exit 2) and says to run it;
- `kix lock` records the archive's SHA-256, equal to sha256sum of the file
  served, and every package's content hash;
- the build renders the chart: the operator's CRDs and Deployment come in
  waves before the CNPG Cluster;
- a republished archive (same name and version, other bytes) fails
  `kix lock --check` and a build from a store without the old archive
  (exit 2, naming the chart and both digests); `kix lock` records it and
  builds pass again;
- with the server gone, a build from the same store still passes;
- a hostile archive is refused by `kix lock` and leaves the store as it was;
- changing one line of a package changes its hash and the build fails
  until `kix lock` (tests/e2e/test_images_lock.py covers --locked).
"""

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

from e2e_support import CHARTS, SRC, ChartRepository, check, finish, kix

UPSTREAM = "https://cloudnative-pg.github.io/charts"

DEFINITION = """cluster: charts
infrastructure:
  cnpg-operator:
    package: cnpg-operator
    namespace: cnpg-system
    aliases: [cnpgOperator]
instances:
  app:
    db:
      package: cnpg-cluster
      config: {owner: app, generateCredentials: true}
"""


def repacked(archive, change):
    """The chart archive with `change(name, bytes) -> bytes` applied to each file."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data is not None:
                data = change(member.name, data)
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def hostile(archive):
    """The chart archive with an extra entry that climbs out of the chart."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        evil = tarfile.TarInfo("cloudnative-pg/../../../../tmp/kix-evil")
        evil.size = 4
        dst.addfile(evil, io.BytesIO(b"evil"))
    return out.getvalue()


def package_hash(d):
    """docs/lockfile.md, "The package content hash", as written there."""
    files = {}
    for root, dirs, names in os.walk(d):
        rel = os.path.relpath(root, d)
        if rel == "." and "test" in dirs:
            dirs.remove("test")
        for n in names:
            p = os.path.normpath(os.path.join(rel, n))
            if p == "README.md":
                continue
            with open(os.path.join(root, n), "rb") as f:
                files[p.replace(os.sep, "/")] = hashlib.sha256(f.read()).hexdigest()
    return hashlib.sha256(json.dumps({"files": files}, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def store_bytes(store):
    """Every file of the store directory, for comparing before and after."""
    out = {}
    for name in sorted(os.listdir(store)):
        with open(os.path.join(store, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def main():
    with open(os.path.join(CHARTS, "cloudnative-pg-0.29.0.tgz"), "rb") as f:
        original = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        repo = ChartRepository(tmp)
        repo.publish("cloudnative-pg-0.29.0.tgz", original)
        repo.start()
        try:
            run(tmp, repo, original)
        finally:
            repo.stop()
    return finish()


def run(tmp, repo, original):
    work = os.path.join(tmp, "def")
    os.mkdir(work)
    with open(os.path.join(work, "cluster.yaml"), "w") as f:
        f.write(DEFINITION)
    store = os.path.join(tmp, "store")
    env = dict(os.environ, KIX_STORE=store, **repo.env())
    out = os.path.join(tmp, "result")

    # No lock yet: the build refuses to take the chart on trust.
    proc = kix("build", work, "-o", out, env=env, expect=2)
    check("is not in kix.lock" in proc.stderr and "kix lock" in proc.stderr, proc.stderr)

    # kix lock records the served archive's digest and every package.
    proc = kix("lock", work, env=env, expect=0)
    with open(os.path.join(work, "kix.lock")) as f:
        lock = json.load(f)
    served = hashlib.sha256(original).hexdigest()
    charts = lock.get("charts", [])
    check(len(charts) == 1 and charts[0]["sha256"] == served and charts[0]["name"] == "cloudnative-pg"
          and charts[0]["version"] == "0.29.0" and charts[0]["repository"] == UPSTREAM,
          f"the lock must hold sha256sum of the served archive {served}: {charts}")
    check(charts and charts[0]["url"] == UPSTREAM + "/cloudnative-pg-0.29.0.tgz",
          f"the lock records the URL as the repository names it, not the mirror's: {charts}")
    check(set(lock.get("packages", {})) == {"cnpg-operator", "cnpg-cluster"} and
          all(p["source"] == "builtin" for p in lock["packages"].values()), lock.get("packages"))
    for name, entry in lock.get("packages", {}).items():
        want = package_hash(os.path.join(SRC, "packages", name))
        check(entry["sha256"] == want, f"package {name}: kix {entry['sha256']}, docs/lockfile.md's Python {want}")
    check(kix("lock", work, env=env, expect=0).stdout.strip().endswith("is up to date"),
          "a second kix lock changes nothing")
    kix("lock", "--check", work, env=env, expect=0)

    # The build renders the chart; the operator comes before the Cluster.
    kix("build", work, "-o", out, env=env, expect=0)
    files = os.listdir(out)
    check("cnpg-system_Deployment_cnpg-operator.yaml" in files and
          "_cluster_CustomResourceDefinition_clusters.postgresql.cnpg.io.yaml" in files, sorted(files))
    plan = json.loads(kix("plan", work, "--format", "json", env=env, expect=0).stdout)
    wave_of = {f"{r['kind']}/{r['name']}": w["wave"] for w in plan["waves"] for r in w["resources"]}
    cluster_wave = wave_of.get("Cluster/db", -1)
    check(wave_of.get("CustomResourceDefinition/clusters.postgresql.cnpg.io", 99) < cluster_wave and
          wave_of.get("Deployment/cnpg-operator", 99) < cluster_wave and
          wave_of.get("ValidatingWebhookConfiguration/cnpg-validating-webhook-configuration", 99)
          < cluster_wave, f"waves: {wave_of}")

    # Republished: same name and version, other bytes.
    changed = repacked(original, lambda name, data: data + b"\n# republished\n"
                       if name.endswith("values.yaml") else data)
    repo.publish("cloudnative-pg-0.29.0.tgz", changed)
    new_digest = hashlib.sha256(changed).hexdigest()
    proc = kix("lock", "--check", work, env=env, expect=2)
    check(served in proc.stderr and new_digest in proc.stderr and "cloudnative-pg 0.29.0" in proc.stderr,
          f"--check names the chart and both digests:\n{proc.stderr}")
    fresh = dict(env, KIX_STORE=os.path.join(tmp, "fresh-store"))
    proc = kix("build", work, "-o", out, env=fresh, expect=2)
    check(served in proc.stderr and new_digest in proc.stderr and "kix lock" in proc.stderr,
          f"a build that must fetch names both digests and kix lock:\n{proc.stderr}")
    # The store that holds the locked archive builds what was locked.
    kix("build", work, "-o", out, env=env, expect=0)
    proc = kix("lock", work, env=env, expect=0)
    check(f"{served} -> {new_digest}" in proc.stdout, f"kix lock says what changed:\n{proc.stdout}")
    kix("build", work, "-o", out, env=fresh, expect=0)

    # Offline: the server is gone, the store has the archive.
    repo.stop()
    kix("build", work, "-o", out, env=env, expect=0)
    proc = kix("build", work, "-o", out, env=dict(env, KIX_STORE=os.path.join(tmp, "empty-store")),
               expect=2)
    check("127.0.0.1" in proc.stderr, f"an unreachable repository is named:\n{proc.stderr}")
    repo.start()

    # A hostile archive never reaches the store.
    before = store_bytes(store)
    repo.replace("cloudnative-pg-0.29.0.tgz", hostile(original))
    proc = kix("lock", work, env=env, expect=2)
    check("is refused" in proc.stderr and "contains '..'" in proc.stderr, proc.stderr)
    check(not os.path.exists("/tmp/kix-evil"), "the hostile entry was written")
    check(store_bytes(store) == before, "a refused archive changed the store")

    # One line of a package changes its hash; the build fails until kix lock.
    # (Plain builds: --locked would also ask ghcr.io for the operator's image.)
    repo.publish("cloudnative-pg-0.29.0.tgz", changed)
    packages = os.path.join(tmp, "packages")
    shutil.copytree(os.path.join(SRC, "packages", "cnpg-operator"),
                    os.path.join(packages, "cnpg-operator"))
    local = dict(env, KIX_PACKAGES_PATH=packages)
    kix("lock", work, env=local, expect=0)
    kix("build", work, "-o", out, env=local, expect=0)
    path = os.path.join(packages, "cnpg-operator", "package.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("default: 1\n", "default: 2\n", 1))
    proc = kix("build", work, "-o", out, env=local, expect=2)
    check("package 'cnpg-operator' is not what kix.lock holds" in proc.stderr, proc.stderr)
    kix("lock", work, env=local, expect=0)
    kix("build", work, "-o", out, env=local, expect=0)


if __name__ == "__main__":
    sys.exit(main())
