#!/usr/bin/env python3
"""The command line as a whole: global options (--store) work before or
after the subcommand, a mistyped subcommand or option gets "did you mean",
an unknown one lists what there is, and every usage error names the
command, points at its --help and exits 2."""
import os
import tempfile

from e2e_support import SRC, check, finish, kix


def usage_error(*args, env=None):
    proc = kix(*args, env=env, expect=2)
    check(proc.stdout == "", f"{args}: a usage error prints nothing on stdout: {proc.stdout!r}")
    check(proc.stderr.startswith("error: "), f"{args}: starts with 'error: ': {proc.stderr!r}")
    return proc.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "unused"))
        store = os.path.join(tmp, "store")
        out = os.path.join(tmp, "result")
        example = os.path.join(SRC, "examples", "immich")

        # --store after the subcommand, and after a sub-subcommand's
        # arguments, is the same option as before it.
        kix("build", example, "-o", out, "--store", store, env=env, expect=0)
        check(os.path.exists(os.path.join(store, "store.db")), "build --store X used X")
        check(not os.path.exists(env["KIX_STORE"]), "the environment's store was not used")
        before = kix("--store", store, "store", "log", "my-homelab", env=env, expect=0).stdout
        after = kix("store", "log", "my-homelab", "--store", store, env=env, expect=0).stdout
        middle = kix("store", "--store=" + store, "log", "my-homelab", env=env, expect=0).stdout
        check(before == after == middle and "(current)" in before,
              f"--store anywhere gives the same log:\n{before}\n{after}\n{middle}")

        # "--" ends the options: a global option after it is a word.
        err = usage_error("store", "log", "my-homelab", "--", "--store", store, env=env)
        check("not expected" in err and "--store" in err, err)
        check(kix("store", "log", "my-homelab", "-q", "--store", store, env=env,
                  expect=0).stdout == before, "-q after the subcommand")

        # Did you mean, at each level.
        err = usage_error("buidl", env=env)
        check("kix: unknown command 'buidl'; did you mean 'build'?" in err, err)
        check("Run 'kix --help'" in err, err)
        err = usage_error("store", "lgo", "immich", env=env)
        check("kix store: unknown command 'lgo'; did you mean 'log'?" in err, err)
        check("Run 'kix store --help'" in err, err)
        err = usage_error("store", "log", "my-homelab", "--fromat", "json", env=env)
        check("kix store log: unknown option '--fromat'; did you mean '--format'?" in err, err)
        err = usage_error("diff", example, "--agaisnt=x", env=env)
        check("kix diff: unknown option '--agaisnt'; did you mean '--against'?" in err, err)
        # A global option is suggested from under a subcommand, too.
        err = usage_error("store", "log", "my-homelab", "--stroe", store, env=env)
        check("did you mean '--store'?" in err, err)

        # A short option, with its value attached or unknown, does not hide
        # the command that follows or a typo after it.
        err = usage_error("build", "-o/tmp/x", example, "--fromat", "json", env=env)
        check("did you mean '--format'?" in err, err)
        err = usage_error("-Z", "store", "log", env=env)
        check("Run 'kix store log --help'" in err, err)

        # Nothing close: the commands are listed.
        err = usage_error("zzzz", env=env)
        check("unknown command 'zzzz'; the commands are canon, hash, store" in err, err)
        check("completion" in err and "__complete" not in err, f"hidden commands stay hidden: {err}")

        # Other usage errors name the command and its --help too.
        err = usage_error("store", env=env)
        check(err.startswith("error: kix store: a subcommand is required"), err)
        err = usage_error("store", "log", "my-homelab", "--format", "yaml", env=env)
        check(err.startswith("error: kix store log: --format: yaml not in {text,json}"), err)
        check("Run 'kix store log --help'" in err, err)

        # --help and --version still exit 0 wherever they are.
        check(kix("store", "log", "--help", env=env, expect=0).stdout.startswith("List"),
              "store log --help")
        check(kix("--version", env=env, expect=0).stdout.startswith("kix "), "--version")
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
