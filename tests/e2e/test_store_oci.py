#!/usr/bin/env python3
"""`kix store push` and `kix store pull` against Debian's real docker-registry
on a free loopback port, checked with skopeo:

- examples/immich built twice (and deployed once, through a scripted
  kubectl) in store A and pushed; pulled into an empty store, `kix store log`
  shows the same history and `kix rollback my-homelab@1 -o out` writes
  generation 1's root, offline after the pull;
- `skopeo inspect --raw` shows the Flux config type and the Flux content
  layer first; that layer is a tar of one file per resource, in wave order,
  owned by 0 with time stamps 0, Secrets left out; the same root pushed
  again gives the same manifest digest and uploads nothing;
- `skopeo copy` to another repository keeps the digest, and a pull from the
  copy still verifies;
- the next generation's push uploads only its own pack, the index and the
  Flux layer (--no-flux: only the pack and the index), as kix reports and
  the registry's storage confirms;
- a registry behind HTTP Basic (htpasswd) and one behind a token service
  (the Bearer flow): without credentials push fails naming the registry and
  `docker login`; with them in DOCKER_CONFIG push and pull work;
- a pulled history that conflicts is refused and --as takes it; a tag that
  is not a kix artifact is refused, naming what it is;
- a Secret travels as ciphertext only: no byte of its value is in the
  registry, the Flux layer leaves it out, a store with the key rolls it back
  whole and one without withholds it.
"""

import base64
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

from e2e_support import OciRegistry, TokenService, check, finish, immich_copy, kix, scripted_kubectl

def skopeo(*args):
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, check=True).stdout


def manifest_of(host, repo):
    return json.loads(skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{host}/{repo}"))


def blob_of(host, repo, digest):
    import urllib.request
    return urllib.request.urlopen(f"http://{host}/v2/{repo}/blobs/{digest}").read()


def log_of(env, name):
    return json.loads(kix("store", "log", name, "--format", "json", env=env, expect=0).stdout)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        a, history, definition = build_store_a(tmp)
        with OciRegistry(tmp) as registry:
            plain(tmp, registry, a, history, definition)
            secrets(tmp, registry)
        basic(tmp, a)
        token(tmp, a)
    return finish()


def build_store_a(tmp):
    definition = immich_copy(tmp)
    kubectl = scripted_kubectl(tmp)
    a = dict(os.environ, KIX_STORE=os.path.join(tmp, "a"), KIX_KUBECTL=kubectl)
    kix("build", definition, "-o", os.path.join(tmp, "r1"), "-m", "first", env=a, expect=0)
    kix("deploy", definition, "--context", "lab", env=a, expect=0)
    return a, log_of(a, "my-homelab"), definition


def plain(tmp, registry, a, history, definition):
    host = registry.host
    target = f"oci://{host}/kix/homelab:latest"
    out = kix("store", "push", "my-homelab", target, env=a, expect=0).stdout
    digest = out.splitlines()[-1]
    check("1 generation and 1 deployment record of my-homelab" in out and "uploaded" in out, out)

    # An empty store: the same history, rollback offline.
    b = dict(os.environ, KIX_STORE=os.path.join(tmp, "b"))
    out = kix("store", "pull", target, env=b, expect=0).stdout
    check(digest in out and "new here: 1 generation, 1 deployment record" in out, out)
    check(log_of(b, "my-homelab") == history, f"{log_of(b, 'my-homelab')} != {history}")
    registry.stop()
    kix("rollback", "my-homelab@1", "-o", os.path.join(tmp, "back"), env=b, expect=0)
    with open(os.path.join(tmp, "back", "root")) as f:
        check(f.read().strip() == history[0]["root"], "rollback after the pull writes generation 1's root")
    kix("store", "verify", env=b, expect=0)
    registry.start()

    # What Flux sees.
    manifest = manifest_of(host, "kix/homelab:latest")
    check(manifest["config"]["mediaType"] == "application/vnd.cncf.flux.config.v1+json", manifest)
    layers = manifest["layers"]
    check(layers[0]["mediaType"] == "application/vnd.cncf.flux.content.v1.tar+gzip", layers)
    annotations = manifest.get("annotations", {})
    check(annotations.get("org.opencontainers.image.revision", "").endswith("sha256:" + history[0]["root"])
          and "org.opencontainers.image.created" in annotations
          and "org.opencontainers.image.source" in annotations, annotations)
    content = blob_of(host, "kix/homelab", layers[0]["digest"])
    check(gzip.decompress(content)[:0] == b"" and content[4:8] == b"\0\0\0\0", "gzip without a time stamp")
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    result_files = sorted(n for n in os.listdir(os.path.join(tmp, "r1")) if n.endswith(".yaml"))
    check(sorted(n.split("-", 1)[1] for n in names) == result_files, f"{names} vs {result_files}")
    check(names == sorted(names) and names[0].startswith("001-") and "Namespace" in names[0], names)
    check(all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.isfile() for m in members), "zeroed entries")

    # Pushed again: the same digest, nothing uploaded.
    out = kix("store", "push", "my-homelab", target, env=a, expect=0).stdout
    check(out.splitlines()[-1] == digest and "uploaded 0 (0 B)" in out, out)

    # skopeo copies it; the copy pulls and verifies.
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"docker://{host}/kix/homelab:latest",
           f"docker://{host}/kix/copy:v1")
    c = dict(os.environ, KIX_STORE=os.path.join(tmp, "c"))
    out = kix("store", "pull", f"oci://{host}/kix/copy:v1", env=c, expect=0).stdout
    check(digest in out, f"skopeo copy keeps the digest:\n{out}")
    kix("store", "verify", env=c, expect=0)
    kix("store", "pull", f"oci://{host}/kix/homelab@{digest}", env=c, expect=0)

    # The next generation uploads what is new, and the registry agrees.
    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("size: 200Gi", "size: 300Gi"))
    kix("build", definition, "-o", os.path.join(tmp, "r2"), "-m", "second", env=a, expect=0)
    for flux in (True, False):
        # A registry of its own: registries keep each blob once whatever
        # the repository, so another push's blobs would hide these.
        with OciRegistry(os.path.join(tmp, f"dedup-{flux}")) as fresh:
            next_generation(fresh, a, flux)

    # A history that conflicts, and --as.
    d = dict(os.environ, KIX_STORE=os.path.join(tmp, "d"))
    other = os.path.join(tmp, "other")
    shutil.copytree(definition, other)
    kix("build", other, "-o", os.path.join(tmp, "r3"), "-m", "elsewhere", env=d, expect=0)
    err = kix("store", "pull", target, env=d, expect=2).stderr
    check("generation 1 of cluster 'my-homelab' differs" in err and "--as" in err, err)
    kix("store", "pull", target, "--as", "homelab-a", env=d, expect=0)
    check([g["root"] for g in log_of(d, "homelab-a")] == [g["root"] for g in history], "--as")

    # Not ours: a chart pushed with helm is refused by name.
    err = kix("store", "pull", f"oci://{host}/kix/missing:latest", env=d, expect=2).stderr
    check("not found" in err, err)
    skopeo("copy", "--dest-tls-verify=false", "--format", "oci",
           f"dir:{make_foreign(tmp)}", f"docker://{host}/kix/foreign:1")
    err = kix("store", "pull", f"oci://{host}/kix/foreign:1", env=d, expect=2).stderr
    check("is not a kix store artifact" in err, err)


def next_generation(registry, a, flux):
    host = registry.host
    extra = [] if flux else ["--no-flux"]
    first = json.loads(kix("store", "push", "my-homelab@1", f"oci://{host}/kix/next:g1", *extra,
                           "--format", "json", env=a, expect=0).stdout)
    before = registry.storage_bytes()
    second = json.loads(kix("store", "push", "my-homelab", f"oci://{host}/kix/next:g2", *extra,
                            "--format", "json", env=a, expect=0).stdout)
    grown = registry.storage_bytes() - before
    check(first["fluxLayer"] == flux and second["fluxLayer"] == flux and
          (flux or first["fluxFiles"] == 0), (first, second))
    pushed = manifest_of(host, "kix/next:g2")
    new_pack = pushed["layers"][-1]["size"]
    index = pushed["layers"][1 if flux else 0]["size"]
    flux_layer = pushed["layers"][0]["size"] if flux else 0
    expected = new_pack + index + flux_layer
    check(second["uploaded"]["bytes"] == expected,
          f"the second push uploads the new pack, the index{' and the Flux layer' if flux else ''}: "
          f"{second['uploaded']} vs {expected}")
    check(second["skipped"]["blobs"] >= 2 and first["uploaded"]["blobs"] >= 3, (first, second))
    # The registry keeps each new blob, plus the manifest and small links.
    check(expected <= grown <= expected + 8192, f"registry grew {grown}, kix uploaded {expected}")
    check(pushed["config"]["mediaType"] == ("application/vnd.cncf.flux.config.v1+json" if flux else
                                            "application/vnd.kix.store.config.v1+json"), pushed["config"])


SECRET_VALUE = "hunter2-is-not-a-good-password"


def secrets(tmp, registry):
    host = registry.host
    tree = os.path.join(tmp, "secret-tree")
    os.makedirs(tree)
    with open(os.path.join(tree, "all.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: app}\n"
                f"stringData: {{password: {SECRET_VALUE}}}\n---\n"
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: app}\ndata: {a: b}\n")
    s = dict(os.environ, KIX_STORE=os.path.join(tmp, "secret-store"))
    kix("store", "add", "--cluster", "sec", tree, env=s, expect=0)
    report = json.loads(kix("store", "push", "sec", f"oci://{host}/kix/sec:1", "--format", "json",
                            env=s, expect=0).stdout)
    check(report["withheldFromFlux"] == 1 and report["fluxFiles"] == 1, report)
    encoded = base64.b64encode(SECRET_VALUE.encode())
    hash_forms = 0
    for directory, _, names in os.walk(os.path.join(registry.dir, "storage")):
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
            # Packs are compressed: look inside them too.
            texts = [data]
            if data[:4] == b"\x28\xb5\x2f\xfd":
                texts.append(subprocess.run(["zstd", "-dc"], input=data, capture_output=True).stdout)
            if data[:2] == b"\x1f\x8b":
                texts.append(gzip.decompress(data))
            check(not any(SECRET_VALUE.encode() in t or encoded in t for t in texts),
                  f"the Secret's value is in the registry: {name}")
            hash_forms += any(b"hmac-sha256:" in t for t in texts)
    check(hash_forms >= 1, "the scan saw inside the packs (the Secret's hash form is there)")
    t = dict(os.environ, KIX_STORE=os.path.join(tmp, "secret-pulled"))
    kix("store", "pull", f"oci://{host}/kix/sec:1", env=t, expect=0)
    kix("rollback", "sec@1", "-o", os.path.join(tmp, "secret-back"), env=t, expect=0)
    with open(os.path.join(tmp, "secret-back", "app_Secret_db.yaml")) as f:
        text = f.read()
    check(SECRET_VALUE in text or encoded.decode() in text, "the key holder gets the value back")
    u = dict(os.environ, KIX_STORE=os.path.join(tmp, "secret-keyless"),
             KIX_SECRET_KEY_FILE=os.path.join(tmp, "another.key"))
    kix("store", "pull", f"oci://{host}/kix/sec:1", env=u, expect=0)
    kix("store", "verify", env=u, expect=0)
    out = kix("rollback", "sec@1", "-o", os.path.join(tmp, "secret-withheld"), env=u, expect=2)
    check(not os.path.exists(os.path.join(tmp, "secret-withheld", "app_Secret_db.yaml"))
          and SECRET_VALUE not in out.stdout + out.stderr, "without the key the Secret is withheld")


def make_foreign(tmp):
    """A one-layer OCI artifact of another kind, as skopeo's dir: transport lays it out."""
    d = os.path.join(tmp, "foreign")
    os.makedirs(d)
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    import hashlib
    digest = hashlib.sha256(config).hexdigest()
    with open(os.path.join(d, digest), "wb") as f:
        f.write(config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": "sha256:" + digest, "size": len(config)},
                "layers": []}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    with open(os.path.join(d, "version"), "w") as f:
        f.write("Directory Transport Version: 1.1\n")
    return d


def docker_config(tmp, name, host, user, password):
    directory = os.path.join(tmp, name)
    os.makedirs(directory)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump({"auths": {host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}}}, f)
    return directory


def login_required(tmp, registry, a, kind):
    host = registry.host
    target = f"oci://{host}/kix/homelab:latest"
    nobody = dict(a, DOCKER_CONFIG=os.path.join(tmp, f"{kind}-empty"), HOME=tmp)
    os.makedirs(nobody["DOCKER_CONFIG"])
    err = kix("store", "push", "my-homelab", target, env=nobody, expect=2).stderr
    check(f"registry {host} refused access to kix/homelab" in err and f"docker login {host}" in err,
          f"{kind}, without credentials:\n{err}")
    creds = docker_config(tmp, f"{kind}-docker", host, "kix", "s3cret-password")
    with_creds = dict(a, DOCKER_CONFIG=creds, HOME=tmp)
    out = kix("store", "push", "my-homelab", target, env=with_creds, expect=0)
    check("s3cret-password" not in out.stdout + out.stderr, "the password is never printed")
    e = dict(os.environ, KIX_STORE=os.path.join(tmp, f"{kind}-pulled"), DOCKER_CONFIG=creds, HOME=tmp)
    kix("store", "pull", target, env=e, expect=0)
    check(len(log_of(e, "my-homelab")) == 2, f"{kind}: pulled the history")


def basic(tmp, a):
    with OciRegistry(os.path.join(tmp, "basic"), "kix", "s3cret-password") as registry:
        login_required(tmp, registry, a, "basic")


def token(tmp, a):
    root = os.path.join(tmp, "token")
    os.makedirs(root)
    service = TokenService(root, "kix", "s3cret-password").start()
    try:
        with OciRegistry(root, tokens=service) as registry:
            login_required(tmp, registry, a, "token")
            check(any(auth and any(":push" in s or ",push" in s for s in scopes)
                      for auth, scopes in service.requests),
                  f"kix asked the token service for push: {service.requests}")
    finally:
        service.stop()


if __name__ == "__main__":
    sys.exit(main())
