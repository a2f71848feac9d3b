#!/usr/bin/env python3
"""Shell completion (docs/commands/completion.md) in the real shells: bash
sources the script and registers it, and completing `kix store log `
offers the store's cluster names; fish completes through its own
`complete -C`; zsh registers the function. Also `kix store clusters`.
bash, zsh and fish come from scripts/setup.sh; a missing one is a failure."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish, kix


def shell(argv, env):
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    check(proc.returncode == 0, f"{argv[0]} exit {proc.returncode}: {proc.stderr}")
    return proc.stdout


def bash_complete(env, *words):
    """COMPREPLY of the kix completion for the line `kix WORDS...` with the
    cursor at its end (the last word is the one being completed), as bash
    sets it up: COMP_LINE and COMP_POINT, and COMP_WORDS split at
    COMP_WORDBREAKS too (so "NAME@" is two words there)."""
    script = ('source <(kix completion bash) && COMP_LINE="kix $*" && COMP_POINT=${#COMP_LINE} && '
              'COMP_WORDS=(kix "$@") && COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )) && _kix && '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    out = shell(["bash", "-c", script, "bash", *words], env)
    return [line for line in out.splitlines() if line]


def main():
    for tool in ("bash", "zsh", "fish"):
        check(shutil.which(tool) is not None, f"{tool} is missing: run scripts/setup.sh sanitize")
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        env = dict(os.environ, KIX_STORE=store,
                   PATH=os.path.dirname(os.path.realpath(KIX)) + os.pathsep + os.environ["PATH"])

        # Without a store, nothing is offered and no store is made.
        check(bash_complete(env, "store", "log", "") == [], "no clusters without a store")
        check(not os.path.exists(store), "completing does not create a store")

        kix("build", os.path.join(SRC, "examples", "immich"), "-o", os.path.join(tmp, "r"),
            env=env, expect=0)
        kix("build", os.path.join(SRC, "examples", "immich-lab"), "-o", os.path.join(tmp, "r2"),
            env=env, expect=0)
        clusters = json.loads(kix("store", "clusters", "--format", "json", env=env,
                                  expect=0).stdout)
        names = sorted(c["cluster"] for c in clusters)
        check(len(names) == 2 and all(c["generations"] == 1 and c["current"]["current"]
                                      and c["current"]["number"] == 1 for c in clusters),
              f"store clusters --format json: {clusters}")
        text = kix("store", "clusters", env=env, expect=0).stdout
        check(all(f"{n}  1 generation, current 1  " in text for n in names),
              f"store clusters text:\n{text}")

        registered = shell(["bash", "-c", "source <(kix completion bash); complete -p kix"], env)
        check(registered.strip() == "complete -F _kix kix", f"bash registers: {registered!r}")
        check(bash_complete(env, "store", "log", "") == names, "kix store log <TAB> offers the clusters")
        check(bash_complete(env, "sto") == ["store"], "kix sto<TAB> offers store")
        check("clusters" in bash_complete(env, "store", ""), "store subcommands are offered")
        check(bash_complete(env, "store", "log", "--format", "") == ["text", "json"],
              "--format offers its choices")
        # bash replaces only what follows "=" or "@" (word breaks): the
        # candidates are what goes there.
        check(bash_complete(env, "store", "log", "--format=j") == ["json"],
              "--format= offers its choices")
        check(bash_complete(env, "--store", store, "store", "show", names[0] + "@") == ["1"],
              "NAME@ offers the cluster's generations")
        check(bash_complete(env, "--help", "") != [] and
              all(" " not in c for c in bash_complete(env, "--help", "")),
              "after --help, words, not the help text")
        check("--against" in bash_complete(env, "diff", "--ag"), "options of a command")
        check("--store" in bash_complete(env, "build", "--st"), "global options too")
        check(bash_complete(env, "build", "nothing-like-this") == [],
              "a path is left to the shell's file completion")

        fish = shell(["fish", "-c", 'kix completion fish | source; complete -C"kix store log "'], env)
        check(sorted(line.split("\t")[0] for line in fish.splitlines()) == names,
              f"fish completes the clusters: {fish!r}")
        zsh = shell(["zsh", "-fc", "autoload -Uz compinit && compinit -u -D && "
                     "source <(kix completion zsh) && print $_comps[kix]"], env)
        check(zsh.strip() == "_kix", f"zsh registers _kix: {zsh!r}")

        bad = kix("completion", "tcsh", env=env, expect=2)
        check("tcsh" in bad.stderr, f"an unknown shell is named: {bad.stderr}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
