#!/usr/bin/env python3
"""kix preview --format markdown of a large change, as a pull-request
comment: the generated 1,000-instance cluster (250 namespaces) with every
volume claim's size changed previews 500 instances created and more
reused, with a note per namespace. The comment stays below GitHub's
65,536-character limit, starts with the summary, and its last line counts
exactly the instances and notes it left out, checked against the JSON
report of the same preview, which lists everything."""
import json
import os
import re
import tempfile

from e2e_support import check, finish, kix
from test_compiler_large_cluster import definition

LIMIT = 65000  # util/markdown.h: below GitHub's 65,536, with room for a CI's line


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def run(tmp):
    work = os.path.join(tmp, "cluster")
    os.makedirs(work)
    path = os.path.join(work, "cluster.yaml")
    with open(path, "w") as f:
        f.write(definition())
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    kix("build", work, "-o", os.path.join(tmp, "base"), env=env, expect=0)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"size: (\d+)Gi", r"size: \1Ti", text))

    args = ("preview", work, "--base", "large", "--name", "pr-1")
    md = kix(*args, "--format", "markdown", "-o", os.path.join(tmp, "md"), env=env, expect=0).stdout
    report = json.loads(kix(*args, "--format", "json", "-o", os.path.join(tmp, "json"), env=env,
                            expect=0).stdout)
    created, reused, notes = len(report["created"]), len(report["reused"]), len(report["crossNamespace"])
    check(created == 500 and reused > 0 and notes == 250, (created, reused, notes))

    size = len(md.encode())
    check(60000 < size <= LIMIT, f"the comment is {size} bytes")
    lines = md.splitlines()
    check(lines[0] == "### kix preview `pr-1` of `large`", lines[0])
    check(f"| created | {created} |" in md, md[:600])
    check(f"| reused from the base | {reused} |" in md, md[:600])
    rows = sum(1 for line in lines if line.startswith("| `"))
    shown_notes = sum(1 for line in lines if line.startswith("- "))
    last = lines[-1]
    m = re.fullmatch(r"\*\*(\d+) more instances(?: and (\d+) more notes?)?\*\* — `--format json` "
                     r"lists them all; this comment stops below GitHub's 65,536-character limit\.",
                     last)
    check(m is not None, last)
    if m:
        left_instances, left_notes = int(m.group(1)), int(m.group(2) or 0)
        check(rows + left_instances == created + reused,
              f"{rows} rows shown + {left_instances} left out != {created + reused}")
        check(shown_notes + left_notes == notes, f"{shown_notes} notes + {left_notes} != {notes}")
    # Created instances come first, then the reused ones.
    roles = [line.split(" | ")[2] for line in lines if line.startswith("| `")]
    check(roles and roles[0] in ("changed", "dependent"), roles[:1])
    first_reused = roles.index("reused") if "reused" in roles else len(roles)
    check(all(r in ("changed", "dependent") for r in roles[:first_reused]) and
          all(r == "reused" for r in roles[first_reused:]), "created rows, then reused rows")


if __name__ == "__main__":
    raise SystemExit(main())
