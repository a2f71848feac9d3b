#!/usr/bin/env python3
"""Progress lines (cli/progress.h): with stderr on a terminal, `kix store
add` shows "reading files N/M" and `kix store push`/`pull` show the blobs,
each rewritten in place and erased before the next output; never on
stdout, never when stderr is piped or TERM is dumb, and not with --quiet,
which also drops the notes. KIX_PROGRESS_DELAY_MS=0 takes away the second
of grace a user gets, so the line shows however fast this machine is."""
import os
import re
import subprocess
import tempfile

from e2e_support import KIX, OciRegistry, check, finish, on_terminal

ERASE = "\r\x1b[K"


def corpus(root, count):
    os.makedirs(root)
    for i in range(count):
        with open(os.path.join(root, f"cm-{i}.yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: app}}\n"
                    f"data: {{n: '{i}'}}\n")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        files = os.path.join(tmp, "files")
        corpus(files, 300)
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_PROGRESS_DELAY_MS="0",
                   TERM="xterm")
        env.pop("NO_COLOR", None)

        code, err, out = on_terminal(["store", "add", files, "--cluster", "demo"], env, "stderr")
        check(code == 0, f"store add: exit {code}: {err}")
        lines = re.findall(r"reading files ([\d,]+)/300", err)
        counts = [int(n.replace(",", "")) for n in lines]
        check(counts and counts == sorted(counts) and 1 <= counts[0] and counts[-1] <= 300,
              f"progress counts the files: {lines[:5]}...{lines[-3:]}")
        check(ERASE + "reading files" in err and "reading files" not in out,
              f"progress is a rewritten line on stderr only:\nstdout: {out!r}")
        # Erased before anything else is written to the terminal.
        after = err[err.rfind("reading files"):]
        check(ERASE in after, f"the last progress text is erased: {after!r}")

        code, err, out = on_terminal(["store", "add", files, "--reread", "-q"], env, "stderr")
        check(code == 0 and err == "", f"--quiet: no progress and no note on stderr: {err!r}")
        code, err, out = on_terminal(["store", "add", files, "--reread"], env, "stderr")
        check("note:" in err, f"without --quiet the note is there: {err!r}")

        dumb = dict(env, TERM="dumb")
        code, err, out = on_terminal(["store", "add", files, "--reread"], dumb, "stderr")
        check("reading files" not in err, f"TERM=dumb: no progress: {err!r}")
        piped = subprocess.run([KIX, "store", "add", files, "--reread"], env=env,
                               capture_output=True, text=True)
        check(piped.returncode == 0 and "reading files" not in piped.stderr + piped.stdout
              and ERASE not in piped.stderr, f"piped: no progress: {piped.stderr!r}")

        with OciRegistry(tmp) as registry:
            target = f"oci://{registry.host}/kix/demo:v1"
            code, err, out = on_terminal(["store", "push", "demo", target], env, "stderr")
            check(code == 0 and re.search(r"pushing blobs \d+/\d+, ", err),
                  f"push shows blobs: {code} {err!r}")
            check("pushing" not in out and out.rstrip().splitlines()[-1].startswith("sha256:"),
                  f"push's own output is untouched: {out!r}")
            pulled = dict(env, KIX_STORE=os.path.join(tmp, "pulled"))
            code, err, out = on_terminal(["store", "pull", target], pulled, "stderr")
            check(code == 0 and re.search(r"pulling blobs \d+/\d+, ", err),
                  f"pull shows blobs: {code} {err!r}")
            code, err, out = on_terminal(["store", "pull", target, "--quiet"], pulled, "stderr")
            check(code == 0 and "pulling" not in err, f"pull --quiet: {err!r}")
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
