#!/usr/bin/env python3
"""An independent implementation of kix's hashes (docs/hashing.md).

Usage:
  kix_hash.py [--secret-key FILE] COMMAND ARGS...
  kix_hash.py blob FILE.json...   sha256 of the RFC 8785 canonical form of each JSON file
  kix_hash.py canon FILE.json...  the canonical form itself, one line per file
  kix_hash.py node BLOB [REF...]  a node hash from a blob hash and referenced node hashes
  kix_hash.py root CLUSTER NODE...
  kix_hash.py result DIR          the root of a result directory (kix build -o DIR,
                                  kix rollback REF -o DIR), from its files alone;
                                  exit 1 when it differs from DIR/root

A Secret with values is hashed in its hash form (docs/secrets.md), which
needs the secret key: --secret-key FILE (the key file kix uses, 64 hex
digits).

Only the Python standard library is used, except by `result`, which reads
YAML with PyYAML (Debian: python3-yaml) restricted to the YAML 1.2 core
schema. For the other commands, convert YAML to JSON with any YAML 1.2
core-schema reader first.
"""
import decimal
import hashlib
import hmac
import json
import math
import sys


def number(x):
    """ECMAScript Number.prototype.toString, as RFC 8785 section 3.2.2.3 requires."""
    if isinstance(x, bool):
        raise TypeError("bool is not a number")
    if isinstance(x, int):
        if abs(x) > 2**53:
            raise ValueError("integer beyond 2^53 has no exact canonical form")
        return str(x)
    if not math.isfinite(x):
        raise ValueError("NaN and Infinity have no canonical form")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr() gives the shortest round-trip digits, as ECMAScript does;
    # Decimal splits them into digits and exponent: value = 0.digits * 10^n.
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    n = len(all_digits) + exponent
    k = len(all_digits)
    if k <= n <= 21:
        return sign + all_digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + all_digits[:n] + "." + all_digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + all_digits
    e = n - 1
    mantissa = all_digits[0] + ("." + all_digits[1:] if k > 1 else "")
    return sign + mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return number(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, list):
        return "[" + ",".join(canonical(e) for e in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code units
        return "{" + ",".join(string(k) + ":" + canonical(v[k]) for k in keys) + "}"
    raise TypeError(type(v))


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def secret_hash_form(secret, key):
    """A Secret with each value (every entry of data and stringData, the field
    itself when it is not a map, and the last-applied annotation) replaced by
    "hmac-sha256:<key id>:<HMAC-SHA256 of the value's canonical JSON under
    the value-hash key>"."""
    value_key = hmac.new(key, b"kix secret value hash v1", hashlib.sha256).digest()
    key_id = hmac.new(key, b"kix secret key id v1", hashlib.sha256).hexdigest()[:16]

    def mac(value):
        digest = hmac.new(value_key, canonical(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return "hmac-sha256:" + key_id + ":" + digest

    out = json.loads(json.dumps(secret))
    for field in ("data", "stringData"):
        if out.get(field) is None:
            continue
        if isinstance(out[field], dict):
            out[field] = {k: mac(v) for k, v in out[field].items()}
        else:
            out[field] = mac(out[field])
    annotations = (out.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = mac(annotations[LAST_APPLIED])
    return out


def has_secret_values(manifest):
    if not isinstance(manifest, dict) or manifest.get("kind") != "Secret":
        return False
    for field in ("data", "stringData"):
        if manifest.get(field) not in (None, {}):
            return True
    annotations = (manifest.get("metadata") or {}).get("annotations")
    return isinstance(annotations, dict) and LAST_APPLIED in annotations


SECRET_KEY = None  # bytes, from --secret-key


def hashed_form(manifest):
    """What kix hashes: the manifest, or a Secret's hash form."""
    if not has_secret_values(manifest):
        return manifest
    if SECRET_KEY is None:
        raise ValueError("a Secret with values is hashed under the secret key: pass --secret-key FILE")
    return secret_hash_form(manifest, SECRET_KEY)


def blob(manifest):
    return sha256(canonical(hashed_form(manifest)))


def node(blob_hex, refs):
    return sha256(canonical({"v": 1, "manifest": blob_hex, "refs": sorted(set(refs))}))


def root(cluster, nodes):
    return sha256(canonical({"v": 1, "cluster": cluster, "resources": sorted(set(nodes))}))


def core_yaml_loader():
    """PyYAML with the YAML 1.2 core schema's implicit types instead of 1.1's."""
    import re

    for p in ("/usr/lib/python3/dist-packages",):  # Debian's python3-yaml
        if p not in sys.path:
            sys.path.append(p)
    import yaml

    class CoreLoader(yaml.SafeLoader):
        pass

    CoreLoader.yaml_implicit_resolvers = {}
    for tag, regexp, first in [
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
         list("-+0123456789")),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         list("-+0123456789.")),
    ]:
        CoreLoader.add_implicit_resolver(tag, re.compile(regexp), first)

    def construct_int(loader, node):
        v = loader.construct_scalar(node)
        if v.startswith("0o"):
            return int(v[2:], 8)
        if v.startswith("0x"):
            return int(v[2:], 16)
        return int(v, 10)

    CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    CoreLoader.add_constructor("tag:yaml.org,2002:float",
                               lambda l, n: float(l.construct_scalar(n).replace("inf", "Infinity")))
    return yaml, CoreLoader


def result(directory):
    """The root of a result directory: blobs from its manifests, edges and the
    cluster name from its `graph` file, node hashes bottom-up."""
    import os

    yaml, loader = core_yaml_loader()
    with open(os.path.join(directory, "graph"), encoding="utf-8") as f:
        graph = json.load(f)
    if graph.get("v") != 1:
        raise ValueError("not a version 1 graph file")
    resources = {r["file"]: r for r in graph["resources"]}
    blobs = {}
    for name in resources:
        if "withheld" in resources[name]:
            # A Secret written without its key: there is no file, only its blob.
            blobs[name] = resources[name]["blob"]
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            documents = [d for d in yaml.load_all(f, Loader=loader) if d is not None]
        if len(documents) != 1:
            raise ValueError(f"{name} holds {len(documents)} manifests instead of one")
        blobs[name] = blob(documents[0])
    nodes = {}

    def node_of(name, visiting=()):
        if name not in nodes:
            if name in visiting:
                raise ValueError(f"reference cycle through {name}")
            refs = [node_of(r["file"], visiting + (name,)) for r in resources[name]["refs"]]
            nodes[name] = node(blobs[name], refs)
        return nodes[name]

    return root(graph["cluster"], [node_of(name) for name in resources])


def main(argv):
    global SECRET_KEY
    argv = list(argv)
    if len(argv) > 2 and argv[1] == "--secret-key":
        with open(argv[2], encoding="ascii") as f:
            SECRET_KEY = bytes.fromhex(f.read().strip())
        del argv[1:3]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd in ("blob", "canon"):
        for path in args:
            with open(path, encoding="utf-8") as f:
                value = json.load(f)
            print(blob(value) if cmd == "blob" else canonical(hashed_form(value)))
    elif cmd == "node":
        print(node(args[0], args[1:]))
    elif cmd == "root":
        print(root(args[0], args[1:]))
    elif cmd == "result" and len(args) == 1:
        computed = result(args[0])
        print(computed)
        with open(args[0].rstrip("/") + "/root", encoding="ascii") as f:
            recorded = f.read().strip()
        if computed != recorded:
            print(f"differs from {args[0]}/root: {recorded}", file=sys.stderr)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
