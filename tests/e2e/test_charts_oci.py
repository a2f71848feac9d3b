#!/usr/bin/env python3
"""A chart from a real OCI registry (Debian's docker-registry on a free
loopback port; the chart pushed with `helm push`), checked for interop with
skopeo: `kix lock` records the chart layer's digest, equal to sha256sum of
the pushed archive, and the manifest digest skopeo sees; a chart re-pushed
under the same version with other bytes fails `kix lock --check` and a
build that must fetch it (exit 2, both digests); with the registry gone, a
build from the same store still passes."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

from e2e_support import CHARTS, OciRegistry, check, finish, kix, operator_package_from, tool

DEFINITION = """cluster: oci-charts
packagePaths: [packages]
infrastructure:
  cnpg-operator:
    package: cnpg-operator
    namespace: cnpg-system
    aliases: [cnpgOperator]
instances:
  app:
    db: {package: cnpg-cluster}
"""


def republished(archive):
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data is not None and member.name.endswith("/values.yaml"):
                data += b"\n# republished\n"
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def main():
    with tempfile.TemporaryDirectory() as tmp, OciRegistry(tmp) as registry:
        run(tmp, registry)
    return finish()


def run(tmp, registry):
    source = os.path.join(CHARTS, "cloudnative-pg-0.29.0.tgz")
    with open(source, "rb") as f:
        original = f.read()
    registry.push_chart(source)

    work = os.path.join(tmp, "def")
    operator_package_from(work, f"oci://{registry.host}/charts")
    with open(os.path.join(work, "cluster.yaml"), "w") as f:
        f.write(DEFINITION)
    store = os.path.join(tmp, "store")
    env = dict(os.environ, KIX_STORE=store, KIX_HELM=tool("helm"), HOME=tmp)
    out = os.path.join(tmp, "result")

    kix("lock", work, env=env, expect=0)
    with open(os.path.join(work, "kix.lock")) as f:
        charts = json.load(f)["charts"]
    served = hashlib.sha256(original).hexdigest()
    check(len(charts) == 1 and charts[0]["sha256"] == served and
          charts[0]["repository"] == f"oci://{registry.host}/charts",
          f"the lock must hold sha256sum of the pushed archive {served}: {charts}")
    # skopeo, another client of the same registry, sees the same manifest.
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                          f"docker://{registry.host}/charts/cloudnative-pg:0.29.0"],
                         capture_output=True, check=True).stdout
    manifest_digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    check(charts and charts[0]["url"].endswith("@" + manifest_digest),
          f"kix and skopeo disagree on the manifest: {charts} vs {manifest_digest}")
    layers = json.loads(raw).get("layers", [])
    check(any(l.get("digest") == "sha256:" + served for l in layers), f"skopeo's layers: {layers}")

    kix("build", work, "-o", out, env=env, expect=0)
    check("cnpg-system_Deployment_cnpg-operator.yaml" in os.listdir(out), sorted(os.listdir(out)))

    # A chart without a package: kix store add --chart, pinned the same way.
    chart = f"oci://{registry.host}/charts/cloudnative-pg"
    plain = os.path.join(tmp, "plain")
    os.mkdir(plain)
    before = sorted(os.listdir(store))
    proc = kix("store", "add", "--chart", chart, "--version", "0.29.0", "-n", "cnpg-system",
               "--cluster", "plain", env=env, cwd=plain, expect=2)
    check(f"is not pinned; the archive served now has sha256 {served}" in proc.stderr and
          f"--sha256 {served}" in proc.stderr, f"an unpinned chart is refused:\n{proc.stderr}")
    proc = kix("store", "add", "--chart", chart, "--version", "0.29.0", "--sha256", "0" * 64,
               "--cluster", "plain", env=env, cwd=plain, expect=2)
    check(served in proc.stderr and "0" * 64 in proc.stderr, f"a wrong pin names both:\n{proc.stderr}")
    proc = kix("store", "add", "--chart", chart, "--version", "0.29.0", "-n", "cnpg-system",
               "--sha256", served, "--cluster", "plain", env=env, cwd=plain, expect=0)
    root = proc.stdout.strip().splitlines()[-1]
    listing = kix("store", "ls", root, env=env, expect=0).stdout
    rows = [line.split() for line in listing.splitlines()]
    check(any(r[3:] == ["CustomResourceDefinition", "-", "clusters.postgresql.cnpg.io"] for r in rows) and
          any(r[3:] == ["Deployment", "cnpg-system", "cloudnative-pg"] for r in rows),
          f"the chart's resources, in the namespace given:\n{listing}")
    kix("store", "add", "--chart", chart, "--version", "0.29.0", "-n", "cnpg-system",
        "--update-lock", "--cluster", "plain", env=env, cwd=plain, expect=0)
    with open(os.path.join(plain, "kix.lock")) as f:
        check(json.load(f)["charts"][0]["sha256"] == served, "--update-lock records the digest")

    # Re-pushed under the same version with other bytes.
    changed = republished(original)
    changed_path = os.path.join(tmp, "cloudnative-pg-0.29.0.tgz")
    with open(changed_path, "wb") as f:
        f.write(changed)
    registry.push_chart(changed_path)
    new_digest = hashlib.sha256(changed).hexdigest()
    proc = kix("lock", "--check", work, env=env, expect=2)
    check(served in proc.stderr and new_digest in proc.stderr, f"--check:\n{proc.stderr}")
    fresh = dict(env, KIX_STORE=os.path.join(tmp, "fresh-store"))
    proc = kix("build", work, "-o", out, env=fresh, expect=2)
    check(served in proc.stderr and new_digest in proc.stderr and "kix lock" in proc.stderr, proc.stderr)
    kix("lock", work, env=env, expect=0)
    kix("build", work, "-o", out, env=fresh, expect=0)

    # Offline: the registry is gone; the store has the archive.
    registry.stop()
    kix("build", work, "-o", out, env=env, expect=0)
    proc = kix("build", work, "-o", out, env=dict(env, KIX_STORE=os.path.join(tmp, "empty")), expect=2)
    check(registry.host in proc.stderr, f"an unreachable registry is named:\n{proc.stderr}")


if __name__ == "__main__":
    sys.exit(main())
