#!/usr/bin/env python3
"""Images pinned by digest, against a real OCI registry (Debian's
docker-registry on a free loopback port) holding an image pushed with
skopeo: `kix lock --images` records the digest the tag resolves to (the one
skopeo sees), the build emits `repo:tag@sha256:…`, an unpinned image is a
warning (an error with --locked), and a tag pushed again with other content
makes --locked builds fail naming both digests while plain builds keep the
locked image."""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

from e2e_support import OciRegistry, check, finish, kix

PACKAGE = """package: app
resources:
  deploy:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: "${self.name}"}
      spec:
        template:
          spec:
            containers:
              - {name: app, image: "${config.image}"}
options:
  image: {type: string}
"""


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def oci_layout(root, content):
    """A one-layer image in an OCI layout directory, tagged 1."""
    layout = os.path.join(root, "layout-" + hashlib.sha256(content).hexdigest()[:8])
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as t:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    raw = tar_bytes.getvalue()
    layer = write_blob(layout, gzip.compress(raw, mtime=0))
    config = write_blob(layout, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
    manifest = write_blob(layout, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}).encode())
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(
            manifest, mediaType="application/vnd.oci.image.manifest.v1+json",
            annotations={"org.opencontainers.image.ref.name": "1"})]}, f)
    return layout


def push(layout, reference):
    subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:1", f"docker://{reference}"],
                   check=True, capture_output=True)
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"],
                         check=True, capture_output=True).stdout
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def main():
    with tempfile.TemporaryDirectory() as tmp, OciRegistry(tmp) as registry:
        run(tmp, registry)
    return finish()


def run(tmp, registry):
    image = f"{registry.host}/team/app:1"
    first = push(oci_layout(tmp, b"first\n"), image)
    work = os.path.join(tmp, "def")
    os.makedirs(os.path.join(work, "packages", "app"))
    with open(os.path.join(work, "packages", "app", "package.yaml"), "w") as f:
        f.write(PACKAGE)
    with open(os.path.join(work, "cluster.yaml"), "w") as f:
        f.write("cluster: images\npackagePaths: [packages]\ninstances:\n  team:\n"
                f"    web: {{package: app, config: {{image: \"{image}\"}}}}\n")
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), HOME=tmp)
    out = os.path.join(tmp, "result")
    deployment = os.path.join(out, "team_Deployment_web.yaml")

    # Locked without images: the build says so; --locked refuses.
    kix("lock", work, env=env, expect=0)
    proc = kix("build", work, "-o", out, env=env, expect=0)
    check(f"image {image} is not pinned in kix.lock" in proc.stderr and "kix lock --images" in proc.stderr,
          f"an unpinned image warns:\n{proc.stderr}")
    proc = kix("build", "--locked", work, "-o", out, env=env, expect=2)
    check(f"image {image} is not pinned in kix.lock" in proc.stderr, proc.stderr)

    # kix lock --images records what the tag points at, as skopeo sees it.
    proc = kix("lock", "--images", work, env=env, expect=0)
    check(f"+ image {image}: {first}" in proc.stdout, proc.stdout)
    with open(os.path.join(work, "kix.lock")) as f:
        images = json.load(f)["images"]
    check(images == {image: first}, f"lock images {images}, skopeo {first}")
    kix("build", "--locked", work, "-o", out, env=env, expect=0)
    with open(deployment) as f:
        text = f.read()
    check(f"image: \"{image}@{first}\"" in text or f"image: {image}@{first}" in text,
          f"the build must emit the pinned image:\n{text}")

    # The tag is pushed again with other content.
    second = push(oci_layout(tmp, b"second\n"), image)
    check(second != first, "the second push must change the digest")
    proc = kix("build", "--locked", work, "-o", out, env=env, expect=2)
    check(first in proc.stderr and second in proc.stderr and "kix lock --images" in proc.stderr,
          f"--locked names both digests:\n{proc.stderr}")
    kix("build", work, "-o", out, env=env, expect=0)
    with open(deployment) as f:
        check(first in f.read(), "a plain build keeps the locked image")
    proc = kix("lock", "--images", work, env=env, expect=0)
    check(f"~ image {image}: {first} -> {second}" in proc.stdout, proc.stdout)
    kix("build", "--locked", work, "-o", out, env=env, expect=0)


if __name__ == "__main__":
    sys.exit(main())
