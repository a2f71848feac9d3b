#!/usr/bin/env python3
"""kix diff --format markdown as a pull-request comment:

- the benchmark's 10,000 resources at 2% churn: the comment stays below
  GitHub's 65,536-character limit, starts with the summary table, and its
  last line counts exactly the resources it left out (checked against the
  JSON report of the same diff);
- a changed multi-line ConfigMap value is a unified line diff (base to new)
  in a fenced block, not one line of JSON;
- a value holding backticks and pipes shows as itself in its cell;
- a Secret's values never appear;
- a few changes are open <details>, many are collapsed."""
import json
import os
import subprocess
import sys
import tempfile

from e2e_support import SRC, check, finish, kix

LIMIT = 65536


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def shown_resources(md):
    """The resources the comment names: one <details> per modified one, one
    list item per other one."""
    return md.count("<details") + sum(1 for line in md.splitlines() if line.startswith("- `"))


def benchmark(tmp):
    corpus = os.path.join(tmp, "bench")
    subprocess.run([sys.executable, os.path.join(SRC, "bench", "generate.py"), "resources", corpus,
                    "--resources", "10000", "--generations", "2", "--churn", "2"], check=True)
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "bench-store"))
    kix("store", "add", os.path.join(corpus, "gen-001"), "--cluster", "bench", env=env, expect=0)
    kix("store", "add", os.path.join(corpus, "gen-002"), "--cluster", "bench", env=env, expect=0)
    md = kix("store", "diff", "bench@1", "bench@2", "--format", "markdown", env=env,
             expect=1).stdout
    report = json.loads(kix("store", "diff", "bench@1", "bench@2", "--format", "json", env=env,
                            expect=1).stdout)
    check(len(md) < LIMIT, f"the comment has {len(md)} characters, GitHub takes {LIMIT - 1}")
    check(md.startswith("### kix diff: `bench@2` vs `bench@1`\n\n| | resources |"),
          f"the summary table comes first:\n{md[:300]}")
    differing = len(report["resources"])
    last = md.rstrip("\n").splitlines()[-1]
    left_out = differing - shown_resources(md)
    check(left_out > 0, f"{differing} differing resources do not all fit: {left_out} left out")
    check(last.startswith(f"**{left_out} more resources — see the JSON artifact**"),
          f"the last line counts what was left out ({left_out}):\n{last}")
    check("```diff\n--- base\n+++ new\n@@ " in md, "ConfigMap files change as line diffs")
    check("<details open>" not in md, "many changes are collapsed")


def small(tmp):
    base = os.path.join(tmp, "base")
    new = os.path.join(tmp, "new")
    config = "server {\n  listen 80;\n  root /srv;\n}\n"
    secret = ("apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: app}\n"
              "stringData: {password: %s}\n")
    for directory, listen, quote, password in ((base, "80", "a", "hunter2-base"),
                                               (new, "8080", "`x` | y", "hunter2-new")):
        write(os.path.join(directory, "cm.yaml"), json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "namespace": "app"},
            "data": {"nginx.conf": config.replace("80", listen), "quote": quote}}))
        write(os.path.join(directory, "secret.yaml"), secret % password)
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "small-store"))
    kix("store", "add", base, "--cluster", "small", env=env, expect=0)
    kix("store", "add", new, "--cluster", "small", env=env, expect=0)
    md = kix("store", "diff", "small@1", "small@2", "--format", "markdown", env=env,
             expect=1).stdout
    check("<details open><summary>~ <code>ConfigMap/web @ app</code>: 2 changes</summary>" in md, md)
    check("`$.data['nginx.conf']`:\n\n```diff\n--- base\n+++ new\n@@ -1,4 +1,4 @@\n server {\n"
          "-  listen 80;\n+  listen 8080;\n   root /srv;\n }\n```\n" in md,
          f"the file's line diff:\n{md}")
    check("| `$.data.quote` | `` `x` \\| y `` | `a` |" in md, f"backticks and pipes:\n{md}")
    check("*(secret, differs)*" in md and "hunter2" not in md, f"no Secret value:\n{md}")
    check("more resources" not in md, "nothing left out of a small diff")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        small(tmp)
        benchmark(tmp)
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
