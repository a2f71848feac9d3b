#!/usr/bin/env python3
"""Deterministic generator of benchmark inputs for kix.

Two kinds of input:

  resources   Realistic plain Kubernetes manifests, one YAML file per
              resource, spread over namespaces: Deployments and StatefulSets
              (containers, env, volumes, probes, resources), Services whose
              selectors match the workloads, ConfigMaps (some 2-20 KB),
              ServiceAccounts, PVCs, Ingresses, Roles and RoleBindings. About
              1.6 KB per resource on average. Generation 1 is the base; each
              later generation changes P% of the resources (image bumps,
              replica counts, env values, ConfigMap values).

  definitions A kix cluster definition with many instances of the built-in
              library packages across many namespaces, for the compiler.

The same arguments give byte-identical output: every random choice comes from
random.Random seeded with a string derived from --seed (string seeds are
hashed with SHA-512 by Python, independent of PYTHONHASHSEED), dictionaries
keep insertion order, and nothing depends on the clock or the file system.

Usage:
  generate.py resources OUT [--resources N] [--generations G] [--churn P]
                            [--seed S] [--layout full|delta]
  generate.py definitions OUT [--instances N] [--namespaces M] [--seed S]

Layout "full" writes OUT/gen-001/, OUT/gen-002/, ... each a complete tree.
Layout "delta" writes OUT/gen-001/ complete and, for every later generation,
only the files that changed in it (no file is ever deleted by churn), so
generation k is gen-001 overlaid with gen-002 ... gen-k in order.

The module is also imported by bench/run, which materializes generations
in place through Corpus.generation_changes().
"""

import argparse
import json
import os
import random
import re
import sys

# ---------------------------------------------------------------------------
# A small block-style YAML emitter (the standard library has none).

_PLAIN_SAFE = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./=+-]*(:[A-Za-z0-9_./=+-]+)*$")
_AMBIGUOUS = {
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    "True", "False", "Null", "NULL", "TRUE", "FALSE", "Yes", "No", "On", "Off",
}


def _scalar(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN_SAFE.match(text) and text not in _AMBIGUOUS:
        return text
    return json.dumps(text)


def _emit(value, indent, out):
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            _emit_entry(pad + _scalar(key) + ":", item, indent, out)
    elif isinstance(value, list):
        for item in value:
            _emit_entry(pad + "-", item, indent, out, in_list=True)
    else:
        out.append(pad + _scalar(value) + "\n")


def _emit_entry(head, item, indent, out, in_list=False):
    if isinstance(item, dict) and item:
        if in_list:
            # First key on the dash line, the rest aligned under it.
            sub = []
            _emit(item, indent + 1, sub)
            first = sub[0]
            out.append(head + " " + first.lstrip(" "))
            out.extend(sub[1:])
        else:
            out.append(head + "\n")
            _emit(item, indent + 1, out)
    elif isinstance(item, list) and item:
        out.append(head + "\n")
        # Kubernetes style: list items at the same indentation as the key.
        _emit(item, indent if not in_list else indent + 1, out)
    elif isinstance(item, (dict, list)):
        out.append(head + (" {}\n" if isinstance(item, dict) else " []\n"))
    elif isinstance(item, str) and "\n" in item:
        block = "  " * (indent + 1)
        chomp = "" if item.endswith("\n") else "-"
        out.append(head + " |" + chomp + "\n")
        for line in item.rstrip("\n").split("\n"):
            out.append((block + line if line else "") + "\n")
    else:
        out.append(head + " " + _scalar(item) + "\n")


def to_yaml(document):
    out = []
    _emit(document, 0, out)
    return "".join(out)


# ---------------------------------------------------------------------------
# Vocabulary for names and values.

TEAMS = ["payments", "search", "checkout", "identity", "catalog", "media",
         "billing", "growth", "platform", "data", "ml", "support", "ads",
         "risk", "ledger", "notify", "edge", "mobile", "partner", "infra"]
COMPONENTS = ["api", "worker", "gateway", "frontend", "scheduler", "indexer",
              "cache", "store", "events", "auth", "reports", "sync", "proxy",
              "ingest", "render", "mailer", "webhooks", "admin", "batch",
              "metrics"]
STATEFUL = ["postgres", "redis", "kafka", "zookeeper", "elasticsearch",
            "rabbitmq", "minio", "etcd", "mongodb", "clickhouse"]
STATEFUL_PORTS = {"postgres": 5432, "redis": 6379, "kafka": 9092,
                  "zookeeper": 2181, "elasticsearch": 9200, "rabbitmq": 5672,
                  "minio": 9000, "etcd": 2379, "mongodb": 27017,
                  "clickhouse": 8123}
LOG_LEVELS = ["debug", "info", "warn", "error"]
CONFIG_WORDS = ["timeout", "retries", "pool", "buffer", "interval", "limit",
                "threshold", "window", "batch", "cache", "ttl", "workers",
                "queue", "backoff", "endpoint", "region", "bucket", "feature",
                "shard", "replica"]


def _version(rng):
    return "%d.%d.%d" % (rng.randint(0, 4), rng.randint(0, 30), rng.randint(0, 20))


def _bump(version):
    major, minor, patch = (int(p) for p in version.split("."))
    return "%d.%d.%d" % (major, minor, patch + 1)


def _quantity(rng, choices):
    return rng.choice(choices)


def _config_file(rng, size):
    """An ini/properties style config file of roughly `size` bytes."""
    lines = ["# generated configuration", ""]
    section = 0
    total = 0
    while total < size:
        if rng.random() < 0.08:
            section += 1
            line = "[section-%d]" % section
        else:
            key = "%s.%s_%d" % (rng.choice(CONFIG_WORDS), rng.choice(CONFIG_WORDS),
                                rng.randint(0, 999))
            kind = rng.random()
            if kind < 0.4:
                val = str(rng.randint(0, 100000))
            elif kind < 0.7:
                val = rng.choice(["true", "false", "auto", "none"])
            else:
                val = "%s-%s.%s.svc.cluster.local:%d" % (
                    rng.choice(COMPONENTS), rng.choice(TEAMS), rng.choice(TEAMS),
                    rng.choice([80, 443, 8080, 9090, 5432, 6379]))
            line = "%s = %s" % (key, val)
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Resource builders. Each returns (kind, name, document).


def _labels(app, instance, team, component):
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": team,
        "app.kubernetes.io/managed-by": "bench",
    }


def _meta(name, namespace, labels, annotations=None):
    meta = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _probe(rng, port_name, path):
    return {
        "httpGet": {"path": path, "port": port_name},
        "initialDelaySeconds": rng.choice([5, 10, 15, 30]),
        "periodSeconds": rng.choice([5, 10, 20]),
        "timeoutSeconds": rng.choice([1, 2, 5]),
        "failureThreshold": rng.choice([3, 5, 6]),
    }


def _env(rng, app, namespace, config_name, secret_name, deps):
    env = [
        {"name": "LOG_LEVEL", "value": rng.choice(LOG_LEVELS)},
        {"name": "POD_NAMESPACE",
         "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    for dep, port in deps:
        env.append({"name": dep.upper().replace("-", "_") + "_HOST",
                    "value": "%s.%s.svc.cluster.local" % (dep, namespace)})
        env.append({"name": dep.upper().replace("-", "_") + "_PORT", "value": str(port)})
    for i in range(rng.randint(2, 6)):
        env.append({"name": "%s_%s_%d" % (rng.choice(CONFIG_WORDS).upper(),
                                          rng.choice(CONFIG_WORDS).upper(), i),
                    "value": str(rng.randint(1, 5000))})
    env.append({"name": "APP_CONFIG_CHECKSUM",
                "valueFrom": {"configMapKeyRef": {"name": config_name, "key": "checksum"}}})
    env.append({"name": "APP_SECRET_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "token"}}})
    return env


def _container(rng, name, image, env, config_name, port, mounts, health_path):
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/%s/app.conf" % name, "--port=%d" % port,
                 "--metrics-port=9090"],
        "ports": [
            {"name": "http", "containerPort": port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": env,
        "envFrom": [{"configMapRef": {"name": config_name}}],
        "resources": {
            "requests": {"cpu": _quantity(rng, ["50m", "100m", "250m", "500m"]),
                         "memory": _quantity(rng, ["64Mi", "128Mi", "256Mi", "512Mi"])},
            "limits": {"cpu": _quantity(rng, ["500m", "1", "2"]),
                       "memory": _quantity(rng, ["256Mi", "512Mi", "1Gi", "2Gi"])},
        },
        "livenessProbe": _probe(rng, "http", health_path),
        "readinessProbe": _probe(rng, "http", "/ready"),
        "securityContext": {"allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": mounts,
    }


def _sidecar(rng):
    return {
        "name": "log-shipper",
        "image": "registry.example.com/infra/log-shipper:%s" % _version(rng),
        "args": ["--input=/var/log/app", "--output=loki.logging.svc:3100"],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                      "limits": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "logs", "mountPath": "/var/log/app"}],
    }


class Resource:
    """One manifest: its path in the tree, its kind and its document."""

    __slots__ = ("path", "kind", "doc", "text")

    def __init__(self, namespace, kind, name, doc):
        self.path = "%s/%s-%s.yaml" % (namespace, kind.lower(), name)
        self.kind = kind
        self.doc = doc
        self.text = None

    def render(self):
        self.text = to_yaml(self.doc).encode()
        return self.text


def _app(rng, namespace, team, index):
    """All resources of one application, workload first."""
    stateful = rng.random() < 0.25
    if stateful:
        component = rng.choice(STATEFUL)
        port = STATEFUL_PORTS[component]
    else:
        component = rng.choice(COMPONENTS)
        port = rng.choice([8080, 8000, 3000, 5000, 9000])
    name = "%s-%d" % (component, index)
    labels = _labels(name, name, team, component)
    selector = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
    config_name = name + "-config"
    secret_name = name + "-secret"
    deps = [(d, STATEFUL_PORTS[d]) for d in rng.sample(STATEFUL, rng.randint(0, 2))]
    env = _env(rng, name, namespace, config_name, secret_name, deps)
    image = "registry.example.com/%s/%s:%s" % (team, component, _version(rng))
    mounts = [{"name": "config", "mountPath": "/etc/%s" % component, "readOnly": True},
              {"name": "tmp", "mountPath": "/tmp"}]
    volumes = [{"name": "config", "configMap": {"name": config_name, "defaultMode": 420}},
               {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
    has_pvc = not stateful and rng.random() < 0.3
    if stateful:
        mounts.append({"name": "data", "mountPath": "/var/lib/%s" % component})
    if has_pvc:
        mounts.append({"name": "data", "mountPath": "/data"})
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": name + "-data"}})
    containers = [_container(rng, component, image, env, config_name, port, mounts,
                             "/healthz")]
    if rng.random() < 0.3:
        containers[0]["volumeMounts"].append({"name": "logs", "mountPath": "/var/log/app"})
        volumes.append({"name": "logs", "emptyDir": {}})
        containers.append(_sidecar(rng))
    pod_spec = {
        "serviceAccountName": name,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 1000},
        "terminationGracePeriodSeconds": rng.choice([30, 60]),
        "containers": containers,
        "volumes": volumes,
    }
    if rng.random() < 0.4:
        pod_spec["affinity"] = {"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": dict(selector)}}}]}}
    template = {"metadata": {"labels": dict(labels),
                             "annotations": {"prometheus.io/scrape": "true",
                                             "prometheus.io/port": "9090"}},
                "spec": pod_spec}
    resources = []
    if stateful:
        workload = {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "serviceName": name,
                "replicas": rng.choice([1, 3, 3, 5]),
                "podManagementPolicy": "OrderedReady",
                "selector": {"matchLabels": selector},
                "template": template,
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "storageClassName": rng.choice(["standard", "fast-ssd"]),
                             "resources": {"requests": {"storage": rng.choice(
                                 ["10Gi", "20Gi", "50Gi", "100Gi"])}}}}],
            },
        }
        resources.append(Resource(namespace, "StatefulSet", name, workload))
    else:
        workload = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": _meta(name, namespace, labels,
                              {"deployment.kubernetes.io/revision": str(rng.randint(1, 40))}),
            "spec": {
                "replicas": rng.choice([1, 2, 2, 3, 4, 6]),
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": selector},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": template,
            },
        }
        resources.append(Resource(namespace, "Deployment", name, workload))

    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": _meta(name, namespace, labels),
        "spec": {"type": "ClusterIP",
                 "selector": dict(selector),
                 "ports": [{"name": "http", "port": port, "targetPort": "http",
                            "protocol": "TCP"},
                           {"name": "metrics", "port": 9090, "targetPort": "metrics",
                            "protocol": "TCP"}]},
    }
    if stateful:
        service["spec"]["clusterIP"] = "None"
    resources.append(Resource(namespace, "Service", name, service))

    # ConfigMaps: most small, about one in five carries a 2-20 KB file.
    data = {"checksum": "%016x" % rng.getrandbits(64)}
    for i in range(rng.randint(3, 8)):
        data["%s_%s_%d" % (rng.choice(CONFIG_WORDS), rng.choice(CONFIG_WORDS), i)] = \
            str(rng.randint(0, 100000))
    if rng.random() < 0.22:
        data["app.conf"] = _config_file(rng, rng.randint(1500, 17000))
    else:
        data["app.conf"] = _config_file(rng, rng.randint(100, 400))
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": _meta(config_name, namespace, labels), "data": data}
    resources.append(Resource(namespace, "ConfigMap", config_name, configmap))

    account = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": _meta(name, namespace, labels),
               "automountServiceAccountToken": False}
    resources.append(Resource(namespace, "ServiceAccount", name, account))

    if has_pvc:
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": _meta(name + "-data", namespace, labels),
               "spec": {"accessModes": ["ReadWriteOnce"],
                        "storageClassName": rng.choice(["standard", "fast-ssd", "nfs"]),
                        "resources": {"requests": {"storage": rng.choice(
                            ["1Gi", "5Gi", "10Gi", "50Gi"])}}}}
        resources.append(Resource(namespace, "PersistentVolumeClaim", name + "-data", pvc))

    if not stateful and rng.random() < 0.5:
        host = "%s.%s.example.com" % (name, team)
        ingress = {
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": _meta(name, namespace, labels, {
                "cert-manager.io/cluster-issuer": "letsencrypt",
                "nginx.ingress.kubernetes.io/proxy-body-size": "%dm" % rng.choice([1, 10, 50]),
            }),
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": [host], "secretName": name + "-tls"}],
                "rules": [{"host": host, "http": {"paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": name, "port": {"name": "http"}}}}]}}],
            },
        }
        resources.append(Resource(namespace, "Ingress", name, ingress))

    if rng.random() < 0.6:
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": _meta(name, namespace, labels),
            "rules": [
                {"apiGroups": [""], "resources": ["configmaps", "secrets"],
                 "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                 "verbs": ["get", "create", "update"]},
            ],
        }
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": _meta(name, namespace, labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                        "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        }
        resources.append(Resource(namespace, "Role", name, role))
        resources.append(Resource(namespace, "RoleBinding", name, binding))
    return resources


# ---------------------------------------------------------------------------
# Churn.


def _mutate(rng, resource):
    """Change one realistic thing in a workload or a ConfigMap."""
    doc = resource.doc
    if resource.kind == "ConfigMap":
        data = doc["data"]
        key = rng.choice(list(data))
        value = data[key]
        if "\n" in value:
            lines = value.split("\n")
            candidates = [i for i, line in enumerate(lines) if " = " in line]
            i = rng.choice(candidates)
            lines[i] = lines[i].split(" = ")[0] + " = " + str(rng.randint(0, 100000))
            data[key] = "\n".join(lines)
        elif key == "checksum":
            data[key] = "%016x" % rng.getrandbits(64)
        else:
            data[key] = str(rng.randint(0, 100000))
        return
    spec = doc["spec"]
    container = spec["template"]["spec"]["containers"][0]
    change = rng.random()
    if change < 0.5:
        repo, tag = container["image"].rsplit(":", 1)
        container["image"] = repo + ":" + _bump(tag)
    elif change < 0.7:
        spec["replicas"] = spec["replicas"] % 6 + 1
    else:
        env = container["env"]
        numeric = [e for e in env if e.get("value", "").isdigit()
                   and not e["name"].endswith("_PORT")]
        if numeric:
            rng.choice(numeric)["value"] = str(rng.randint(1, 5000))
        else:
            env[0]["value"] = rng.choice(LOG_LEVELS)


class Corpus:
    """A cluster of `resources` manifests and its generations.

    Generation 1 is the base. generation_changes(k) for k >= 2 returns the
    files that change from generation k-1 to k, and must be called for
    k = 2, 3, ... in order (the corpus mutates as it goes).
    """

    def __init__(self, resources=10000, seed=1, churn=1.0):
        self.seed = seed
        self.churn = churn
        self.generation = 1
        rng = random.Random("kix-bench:%d:base" % seed)
        namespaces = max(1, resources // 100)
        self.resources = []
        index = 0
        while len(self.resources) < resources:
            ns_index = index % namespaces
            namespace = "%s-%d" % (TEAMS[ns_index % len(TEAMS)], ns_index)
            team = TEAMS[ns_index % len(TEAMS)]
            self.resources.extend(_app(rng, namespace, team, index))
            index += 1
        del self.resources[resources:]
        for resource in self.resources:
            resource.render()
        self.mutable = [r for r in self.resources
                        if r.kind in ("Deployment", "StatefulSet", "ConfigMap")]

    def files(self):
        """The current generation as {relative path: bytes}, in a stable order."""
        return {r.path: r.text for r in self.resources}

    def changes_per_generation(self):
        return max(1, round(len(self.resources) * self.churn / 100.0))

    def generation_changes(self, k):
        if k != self.generation + 1:
            raise ValueError("generations must be produced in order: expected %d, got %d"
                             % (self.generation + 1, k))
        rng = random.Random("kix-bench:%d:gen:%d" % (self.seed, k))
        count = min(self.changes_per_generation(), len(self.mutable))
        changed = {}
        for resource in rng.sample(self.mutable, count):
            _mutate(rng, resource)
            changed[resource.path] = resource.render()
        self.generation = k
        return dict(sorted(changed.items()))


def write_files(root, files):
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def generate_resources(out, resources, generations, churn, seed, layout):
    corpus = Corpus(resources, seed, churn)
    write_files(os.path.join(out, "gen-001"), corpus.files())
    current = corpus.files()
    for k in range(2, generations + 1):
        changed = corpus.generation_changes(k)
        target = os.path.join(out, "gen-%03d" % k)
        if layout == "full":
            current.update(changed)
            write_files(target, current)
        else:
            os.makedirs(target, exist_ok=True)
            write_files(target, changed)


# ---------------------------------------------------------------------------
# Cluster definitions for the compiler.

# Each namespace gets an Immich stack as in examples/immich (the server, its
# library claim aliased `storage`, a StackGres database aliased `postgres`
# with the vector extension, a `valkey`, and an Ingress whose backend is the
# server) and fills up with PersistentVolumeClaims. The StorageClass comes
# from the cluster's infrastructure. docs/cluster-definitions.md describes
# the format.
def _immich_stack(rng, namespace):
    return {
        "immich": {"package": "immich", "aliases": ["backend"]},
        "library": {"package": "persistent-volume-claim", "aliases": ["storage"],
                    "config": {"size": rng.choice(["100Gi", "200Gi", "500Gi"])}},
        "db": {"package": "stackgres-cluster", "aliases": ["postgres"],
               "config": {"postgres": {"extensions": [
                   {"name": "vectors", "publisher": "tensorchord", "version": "0.4.0"}]}}},
        "valkey": {"package": "valkey"},
        "web": {"package": "ingress",
                "config": {"host": "photos.%s.example.com" % namespace,
                           "clusterIssuer": "letsencrypt"}},
    }


def definition(instances=1000, namespaces=100, seed=1, cluster="bench"):
    """A cluster definition with `instances` instances over `namespaces`
    namespaces, as YAML bytes."""
    rng = random.Random("kix-bench:%d:definition" % seed)
    namespaces = min(namespaces, instances)
    body = {
        "cluster": cluster,
        "infrastructure": {"local-path": {
            "package": "storage-class", "aliases": ["storageClass"],
            "config": {"provisioner": "rancher.io/local-path", "isDefault": True}}},
        "instances": {},
    }
    for n in range(namespaces):
        count = instances // namespaces + (1 if n < instances % namespaces else 0)
        namespace = "%s-%d" % (TEAMS[n % len(TEAMS)], n)
        entries = _immich_stack(rng, namespace) if count >= 5 else {}
        i = 0
        while len(entries) < count:
            i += 1
            entries["data-%d" % i] = {
                "package": "persistent-volume-claim",
                "config": {"size": rng.choice(["1Gi", "10Gi", "50Gi", "100Gi"])}}
        body["instances"][namespace] = entries
    return to_yaml(body).encode()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    res = sub.add_parser("resources", help="plain manifests and their generations")
    res.add_argument("out")
    res.add_argument("--resources", type=int, default=10000)
    res.add_argument("--generations", type=int, default=1)
    res.add_argument("--churn", type=float, default=1.0, help="percent changed per generation")
    res.add_argument("--seed", type=int, default=1)
    res.add_argument("--layout", choices=["full", "delta"], default="full")
    dfn = sub.add_parser("definitions", help="a cluster definition for the compiler")
    dfn.add_argument("out", help="output file (cluster.yaml)")
    dfn.add_argument("--instances", type=int, default=1000)
    dfn.add_argument("--namespaces", type=int, default=100)
    dfn.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.what == "resources":
        if args.resources < 1 or args.generations < 1 or not 0 < args.churn <= 100:
            parser.error("--resources and --generations must be >= 1, --churn in (0, 100]")
        generate_resources(args.out, args.resources, args.generations, args.churn,
                           args.seed, args.layout)
    else:
        if args.instances < 1 or args.namespaces < 1:
            parser.error("--instances and --namespaces must be >= 1")
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "wb") as f:
            f.write(definition(args.instances, args.namespaces, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
