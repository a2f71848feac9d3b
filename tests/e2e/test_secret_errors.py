#!/usr/bin/env python3
"""Malformed Secrets never show a value in an error or warning: in kubectl's
sorted key order (data before kind), as List items, as pretty or single-line
JSON, with invalid UTF-8, NUL, tabs, duplicate keys and every other mistake
below. Each case is read by kix canon, kix hash and kix store add; the
value, its base64 form and its first characters appear nowhere in their
output."""

import base64
import os
import subprocess
import sys
import tempfile

from e2e_support import KIX, check, finish

VALUE = "hunter2-SECRET-VALUE"
B64 = base64.b64encode(VALUE.encode()).decode()
FRAGMENTS = [VALUE, B64, "hunter2", B64[:12]]

# kubectl get -o yaml sorts keys: apiVersion, data, kind, metadata, type.
SORTED_HEAD = "apiVersion: v1\ndata:\n"
SORTED_TAIL = "kind: Secret\nmetadata:\n  name: db\ntype: Opaque\n"

CASES = {
    "sorted order, bad indentation": SORTED_HEAD + f"  password: {B64}\n   user: x\n" + SORTED_TAIL,
    "sorted order, duplicate key": SORTED_HEAD + f"  password: {B64}\n  password: {B64}\n" + SORTED_TAIL,
    "sorted order, integer too large": SORTED_HEAD + "  pin: 123456789012345678901234\n" + SORTED_TAIL
        .replace("name: db", "name: db # " + "x"),
    "sorted order, .inf": SORTED_HEAD + "  password: .inf\n" + f"  other: {B64}\n" + SORTED_TAIL,
    "sorted order, unknown tag": SORTED_HEAD + f"  password: !secret {B64}\n" + SORTED_TAIL,
    "sorted order, unknown alias": SORTED_HEAD + f"  password: {B64}\n  copy: *nothing\n" + SORTED_TAIL,
    "sorted order, unterminated flow": "apiVersion: v1\ndata: {password: " + B64 + "\n" + SORTED_TAIL,
    "sorted order, unterminated quote": SORTED_HEAD + f"  password: \"{B64}\n" + SORTED_TAIL,
    "sorted order, tab indentation": SORTED_HEAD + f"\tpassword: {B64}\n" + SORTED_TAIL,
    "sorted order, control character": SORTED_HEAD + f"  password: {B64}\x1b[2J\n  x: [\n" + SORTED_TAIL,
    "stringData, bad escape": "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
                              f"stringData:\n  password: \"{VALUE}\\q\"\n",
    "stringData, duplicate key": "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
                                 f"stringData:\n  password: {VALUE}\n  password: {VALUE}\n",
    "stringData, block scalar indentation": "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
                                            f"stringData:\n  key: |\n    {VALUE}\n   {VALUE}\n  x: [\n",
    "List item, syntax error": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
                               f"  data:\n    password: {B64}\n     bad: indent\n  kind: Secret\n"
                               "  metadata: {name: db}\n",
    "List item, duplicate key": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
                                f"  data:\n    password: {B64}\n    password: {B64}\n  kind: Secret\n"
                                "  metadata: {name: db}\n",
    "List item, kind first, syntax error": "apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n"
                                           f"  apiVersion: v1\n  stringData: {{password: {VALUE}\n",
    "JSON pretty, trailing comma": '{\n  "apiVersion": "v1",\n  "data": {\n    "password": "'
                                   + B64 + '",\n  },\n  "kind": "Secret",\n  "metadata": {"name": "db"}\n}\n',
    "JSON single line, missing quote": '{"apiVersion":"v1","data":{"password":"' + B64
                                       + '},"kind":"Secret","metadata":{"name":"db"}}',
    "JSON, invalid literal after a value": '{"apiVersion":"v1","stringData":{"password":"' + VALUE
                                           + '","x":tru},"kind":"Secret","metadata":{"name":"db"}}',
    "JSON, duplicate key": '{"apiVersion":"v1","data":{"password":"' + B64 + '","password":"'
                           + B64 + '"},"kind":"Secret","metadata":{"name":"db"}}',
    "JSON List, syntax error in an item": '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1",'
                                          '"data":{"password":"' + B64 + '" "x":1},"kind":"Secret",'
                                          '"metadata":{"name":"db"}}]}',
    "JSON, integer too large": '{"apiVersion":"v1","data":{"pin":123456789012345678901234,"password":"'
                               + B64 + '"},"kind":"Secret","metadata":{"name":"db"}}',
}

# Bytes kix must refuse as a whole; the value sits right next to them.
BINARY_CASES = {
    "sorted order, invalid UTF-8": (SORTED_HEAD + f"  password: {B64}").encode() + b"\xff\xfe\n"
                                   + SORTED_TAIL.encode(),
    "sorted order, NUL byte": (SORTED_HEAD + f"  password: {B64}").encode() + b"\x00\n"
                              + SORTED_TAIL.encode(),
    "JSON, invalid UTF-8": ('{"apiVersion":"v1","data":{"password":"' + B64).encode() + b"\xc3\x28"
                           + b'"},"kind":"Secret","metadata":{"name":"db"}}',
}

# Valid, but warned about: the warning must not quote the value.
WARNED = {
    "sorted order, YAML 1.1 boolean value": SORTED_HEAD + "  enabled: yes\n  legacy: 0644\n"
                                            + f"  password: {B64}\n" + SORTED_TAIL,
}


def run(args, path, env):
    return subprocess.run([KIX, *args, path], capture_output=True, env=env)


def shows_value(proc):
    text = proc.stdout + proc.stderr
    return [f for f in FRAGMENTS if f.encode() in text]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), NO_COLOR="1")
        cases = {k: v.encode() for k, v in CASES.items()}
        cases.update(BINARY_CASES)
        check(len(cases) >= 20, f"at least 20 malformed Secrets: {len(cases)}")
        for name, data in cases.items():
            suffix = ".json" if name.startswith("JSON") else ".yaml"
            path = os.path.join(tmp, "case" + suffix)
            with open(path, "wb") as f:
                f.write(data)
            for args in (["canon"], ["hash"], ["store", "add", "--cluster", "c"]):
                p = run(args, path, env)
                check(p.returncode == 2, f"{name}: kix {' '.join(args)} exits {p.returncode}, not 2:\n"
                      f"{p.stderr.decode(errors='replace')}")
                check(not shows_value(p), f"{name}: kix {' '.join(args)} shows {shows_value(p)}:\n"
                      f"{p.stderr.decode(errors='replace')}")
                check(b"error:" in p.stderr, f"{name}: no error message")
        for name, text in WARNED.items():
            path = os.path.join(tmp, "warned.yaml")
            with open(path, "w") as f:
                f.write(text)
            p = run(["hash"], path, env)
            check(p.returncode == 0 and b"warning:" in p.stderr,
                  f"{name}: expected warnings, exit {p.returncode}: {p.stderr.decode()}")
            check(b"yes" not in p.stderr and b"0644" not in p.stderr and not shows_value(p),
                  f"{name}: a warning quotes a value:\n{p.stderr.decode()}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
