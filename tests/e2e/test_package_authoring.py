#!/usr/bin/env python3
"""kix package new, lint and test, as a package author uses them.

- `kix package new demo && kix package lint demo && kix package test demo`
  pass from an empty directory, and what `new` wrote builds with plain
  `kix build` and holds its README part as generated;
- `new` refuses a taken path, a bad name and a missing parent, leaving the
  author's files as they were and nothing of its own behind, and removes
  what a killed `new` left;
- `lint` finds each rule in a package written to break it, exits 1 on
  errors (on warnings only with --strict);
- `test` shows a changed result as a diff and exits 1, `--accept` records
  it, a case that must fail compares its errors, and the failures a runner
  must not hide (no test, a case that does not compile, a case without the
  package, an expected/ that is not a result, a subdirectory of expected/
  that would never be compared) are each reported; a changed Secret is
  named without its values.
"""
import glob
import json
import os
import shutil
import tempfile

from e2e_support import SRC, check, finish, kix


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def lint_rules(directory, cwd, expect):
    proc = kix("package", "lint", directory, "--format", "json", cwd=cwd, expect=expect)
    return [(f["rule"], f["severity"]) for f in json.loads(proc.stdout)["findings"]]


def new_lint_test(tmp, env):
    out = kix("package", "new", "demo", cwd=tmp, env=env, expect=0).stdout
    check("package demo created" in out, out)
    for name in ["package.yaml", "README.md", "test/cluster.yaml", "test/expected/root",
                 "test/expected/graph", "test/expected/demo_Deployment_demo.yaml",
                 "test/privileged-port/cluster.yaml", "test/privileged-port/expected-errors.txt"]:
        check(os.path.isfile(os.path.join(tmp, "demo", name)), f"kix package new wrote {name}")
    check(not glob.glob(os.path.join(tmp, ".demo.*")), "no staging directory is left")
    out = kix("package", "lint", "demo", "--strict", cwd=tmp, env=env, expect=0).stdout
    check(out == "package demo: 0 errors, 0 warnings\n", out)
    out = kix("package", "test", "demo", cwd=tmp, env=env, expect=0).stdout
    check("test: passed (3 resources)" in out and
          "test/privileged-port: passed (failed with 1 error as expected)" in out and
          out.endswith("package demo: 2 passed, 0 failed\n"), out)
    kix("package", "docs", "--check", "demo", cwd=tmp, env=env, expect=0)
    # The test definition builds on its own too (its packagePaths), to
    # the very result that was recorded.
    out = kix("build", "demo/test", "-o", "result", cwd=tmp, env=env, expect=0).stdout
    check(read(os.path.join(tmp, "result", "root")) ==
          read(os.path.join(tmp, "demo", "test", "expected", "root")), out)
    manifest = read(os.path.join(tmp, "demo", "package.yaml"))
    check(manifest.startswith("# yaml-language-server: $schema=/") and
          manifest.splitlines()[0].endswith("/schema/editor/package.json"), manifest[:120])

    # `new .` in an empty directory fills that very directory.
    here = os.path.join(tmp, "here")
    os.mkdir(here)
    inode = os.stat(here).st_ino
    kix("package", "new", ".", cwd=here, env=env, expect=0)
    check(os.stat(here).st_ino == inode and
          sorted(os.listdir(here)) == ["README.md", "package.yaml", "test"],
          f"{sorted(os.listdir(here))}")
    kix("package", "test", ".", cwd=here, env=env, expect=0)

    # Another package from another directory; an empty directory is taken.
    os.mkdir(os.path.join(tmp, "pkgs"))
    os.mkdir(os.path.join(tmp, "pkgs", "web-app"))
    kix("package", "new", os.path.join(tmp, "pkgs", "web-app"), env=env, expect=0)
    kix("package", "test", os.path.join(tmp, "pkgs", "web-app"), env=env, expect=0)


def new_refusals(tmp, env):
    before = read(os.path.join(tmp, "demo", "package.yaml"))
    proc = kix("package", "new", "demo", cwd=tmp, env=env, expect=2)
    check("demo already exists" in proc.stderr, proc.stderr)
    check(read(os.path.join(tmp, "demo", "package.yaml")) == before, "demo is left as it was")
    os.mkdir(os.path.join(tmp, "notes"))
    write(os.path.join(tmp, "notes", "todo.txt"), "mine\n")
    kix("package", "new", "notes", cwd=tmp, env=env, expect=2)
    check(os.listdir(os.path.join(tmp, "notes")) == ["todo.txt"], "a directory with files is kept")
    proc = kix("package", "new", "Demo_1", cwd=tmp, env=env, expect=2)
    check("'Demo_1' cannot be a package name" in proc.stderr and "63 lowercase" in proc.stderr,
          proc.stderr)
    proc = kix("package", "new", "missing/demo", cwd=tmp, env=env, expect=2)
    check("the directory missing does not exist" in proc.stderr, proc.stderr)
    check(not glob.glob(os.path.join(tmp, ".*.stage-*")) and
          not glob.glob(os.path.join(tmp, "notes", ".*")) and
          not os.path.exists(os.path.join(tmp, "Demo_1")), "nothing is left behind")
    # What a killed `package new` left, named after a process that is gone,
    # is removed by the next one: beside the target, and inside an empty
    # target directory.
    dead = 4194304 + 7  # above any pid_max: no such process
    write(os.path.join(tmp, f".gone.stage-{dead}", "gone", "package.yaml"), "half\n")
    write(os.path.join(tmp, f".gone.backup-{dead}", "notes.txt"), "mine\n")  # not kix's
    write(os.path.join(tmp, "empty-target", f".kix-package-new.stage-{dead}", "empty-target",
                       "package.yaml"), "half\n")
    kix("package", "new", "gone", cwd=tmp, env=env, expect=0)
    kix("package", "new", "empty-target", cwd=tmp, env=env, expect=0)
    check(not glob.glob(os.path.join(tmp, ".*.stage-*")) and
          not glob.glob(os.path.join(tmp, "empty-target", ".*")) and
          os.path.isfile(os.path.join(tmp, "empty-target", "package.yaml")) and
          read(os.path.join(tmp, "gone", "package.yaml")) != "half\n", "leftovers are removed")
    check(read(os.path.join(tmp, f".gone.backup-{dead}", "notes.txt")) == "mine\n",
          "a directory of the user's that only looks like a leftover is kept")
    shutil.rmtree(os.path.join(tmp, f".gone.backup-{dead}"))
    shutil.rmtree(os.path.join(tmp, "gone"))
    shutil.rmtree(os.path.join(tmp, "empty-target"))


BROKEN = """\
  debug:
    type: boolean
    default: false
    description: Turns on nothing.
  mode:
    type: string
    enum: [a, b]
    default: a
  tier:
    type: string
    enum: [small, large]
    description: Size class (optional).
checks:
  - warn: mode c
    when: ${config.mode == 'c'}
  - error: impossible
    unless: ${config.mode == 'a' && config.mode == 'b'}
  - warn: constant
    when: "false"
  - error: tier is checked
    when: ${has(config.tier) && config.tier == 'large' && config.port > 3000}
  - warn: broken
    when: ${config.mode ==}
"""


def lint_findings(tmp, env):
    shutil.copytree(os.path.join(tmp, "demo"), os.path.join(tmp, "bad"))
    manifest = read(os.path.join(tmp, "bad", "package.yaml"))
    manifest = manifest.replace("package: demo", "package: bad").replace("checks:\n", BROKEN, 1)
    manifest = manifest.replace("replicas: ${config.replicas}",
                                "replicas: ${config.replica}\n        minReadySecondz: 3")
    manifest = manifest.replace("      kind: Service\n", "      kind: Service\n      spek: {}\n")
    manifest = manifest.replace("description: >-\n  demo runs", "descriptio: >-\n  demo runs")
    write(os.path.join(tmp, "bad", "package.yaml"), manifest)
    # An unknown key is the loader's error, with its line, before any lint.
    proc = kix("package", "lint", "bad", cwd=tmp, env=env, expect=2)
    check("unknown field 'descriptio'" in proc.stderr and "package.yaml:" in proc.stderr,
          proc.stderr)
    manifest = manifest.replace("descriptio: >-\n  demo runs", "description: >-\n  demo runs")
    write(os.path.join(tmp, "bad", "package.yaml"), manifest)
    shutil.rmtree(os.path.join(tmp, "bad", "test"))
    rules = lint_rules("bad", tmp, 1)
    # No unused-option (replicas is now read as config.replica, debug not at
    # all): an expression that does not parse might read any option.
    want = [("undocumented-option", "warning"),  # mode
            ("check-never-fires", "warning"),    # mode == 'c'
            ("check-always-fires", "error"),     # unless a && b
            ("check-never-fires", "warning"),    # "false"
            ("expression-syntax", "error"),
            ("unknown-option", "error"),         # replica
            ("schema", "error"),                 # minReadySecondz
            ("schema", "error"),                 # spek
            ("readme-outdated", "error"),
            ("no-test", "warning")]
    check(rules == want, f"lint rules:\n{rules}\nwant\n{want}")
    proc = kix("package", "lint", "bad", cwd=tmp, env=env, expect=1)
    check("did you mean 'replicas'?" in proc.stdout and
          'unknown field "minReadySecondz" (did you mean "minReadySeconds"?)' in proc.stdout and
          "package bad: 6 errors, 4 warnings" in proc.stdout, proc.stdout)
    # The check on `tier` reads an integer too: it is not judged.
    check("tier is checked" not in proc.stdout, proc.stdout)

    # An unterminated ${, a misspelt name, and what the loader warns about.
    broken = clean_copy = read(os.path.join(tmp, "demo", "package.yaml")).replace(
        "package: demo", "package: bad")
    broken = broken.replace("name: server", "name: \"server-${config.port\"")
    broken = broken.replace("url: http://${resources", "url: http://${resourcez")
    broken = broken.replace("options:\n", "options:\n  flag: { type: string, default: yes, "
                            "description: A flag. }\n", 1)
    write(os.path.join(tmp, "bad", "package.yaml"), broken)
    proc = kix("package", "lint", "bad", "--format", "json", cwd=tmp, env=env, expect=1)
    findings = json.loads(proc.stdout)["findings"]
    rules = {f["rule"] for f in findings}
    check({"expression-syntax", "unknown-name", "load-warning"} <= rules, f"{findings}")
    check(any("unterminated" in f["message"] for f in findings) and
          any(f["rule"] == "unknown-name" and "did you mean 'resources'" in f["hint"]
              for f in findings), f"{findings}")
    del clean_copy

    # Warnings alone pass, unless --strict.
    os.remove(os.path.join(tmp, "bad", "README.md"))
    clean = read(os.path.join(tmp, "demo", "package.yaml")).replace("package: demo", "package: bad")
    write(os.path.join(tmp, "bad", "package.yaml"), clean.replace(
        "options:\n", "options:\n  unused: { type: string, description: Not read. }\n", 1))
    rules = lint_rules("bad", tmp, 1)
    check(rules == [("unused-option", "warning"), ("readme-missing", "error"),
                    ("no-test", "warning")], f"{rules}")
    kix("package", "docs", "--update", "bad", cwd=tmp, env=env, expect=0)
    check(lint_rules("bad", tmp, 0) == [("unused-option", "warning"), ("no-test", "warning")],
          "warnings only")
    kix("package", "lint", "bad", "--strict", cwd=tmp, env=env, expect=1)
    with open(os.path.join(tmp, "bad", "README.md"), "w") as f:
        f.write("# bad\n\nNo generated part.\n")
    check(("readme-no-markers", "error") in lint_rules("bad", tmp, 1), "a README without markers")


def test_runner(tmp, env):
    demo = os.path.join(tmp, "demo")
    manifest = read(os.path.join(demo, "package.yaml"))
    write(os.path.join(demo, "package.yaml"), manifest.replace("periodSeconds: 5", "periodSeconds: 7"))
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("test: failed" in proc.stdout and "-          periodSeconds: 5" in proc.stdout and
          "+          periodSeconds: 7" in proc.stdout, proc.stdout)
    check("(graph and root differ with the manifests)" in proc.stdout and
          "--- demo/test/expected/root" not in proc.stdout, "hash files are not diffed")
    report = json.loads(kix("package", "test", "demo", "--format", "json", cwd=tmp, env=env,
                            expect=1).stdout)
    case = report["cases"][0]
    check(case["outcome"] == "failed" and
          sorted(c["file"] for c in case["changed"]) ==
          ["demo_Deployment_demo.yaml", "graph", "root"], json.dumps(case)[:600])
    out = kix("package", "test", "demo", "--accept", cwd=tmp, env=env, expect=0).stdout
    check("test: accepted (3 resources)" in out, out)
    check("periodSeconds: 7" in read(os.path.join(demo, "test", "expected",
                                                  "demo_Deployment_demo.yaml")), "accepted")
    kix("package", "test", "demo", cwd=tmp, env=env, expect=0)

    # A case that must fail, with an error it does not give.
    errors = os.path.join(demo, "test", "privileged-port", "expected-errors.txt")
    write(errors, read(errors) + "no such words\n")
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("no error says: no such words" in proc.stdout and "port 80 is below 1024" in proc.stdout,
          proc.stdout)
    out = kix("package", "test", "demo", "--accept", cwd=tmp, env=env, expect=0).stdout
    check("no such words" not in read(errors) and "port 80 is below 1024" in read(errors), out)
    # ... and one that builds when it should fail.
    case = os.path.join(demo, "test", "privileged-port", "cluster.yaml")
    write(case, read(case).replace("port: 80", "port: 8081"))
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("the build succeeded, but" in proc.stdout and "--accept" not in proc.stdout, proc.stdout)
    write(case, read(case).replace("port: 8081", "port: 80"))

    # A case that does not compile is reported, not skipped.
    write(os.path.join(demo, "test", "typo", "cluster.yaml"),
          "cluster: t\ninstances:\n  t:\n    t: { package: demo, config: { replicaz: 2 } }\n")
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("test/typo: error" in proc.stdout and "replicaz" in proc.stderr, proc.stdout + proc.stderr)
    # A case that does not use the package tests nothing.
    write(os.path.join(demo, "test", "typo", "cluster.yaml"),
          "cluster: t\ninstances:\n  t:\n    t: { package: redis }\n")
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("has no instance of package 'demo'" in proc.stdout, proc.stdout)
    shutil.rmtree(os.path.join(demo, "test", "typo"))

    # --accept never replaces a directory of the author's own files: that
    # case is an error, and the others still run and are accepted.
    write(os.path.join(demo, "test", "zz", "cluster.yaml"), read(os.path.join(demo, "test", "cluster.yaml")))
    write(os.path.join(demo, "test", "zz", "expected", "notes.md"), "mine\n")
    write(os.path.join(demo, "test", "cluster.yaml"),
          read(os.path.join(demo, "test", "cluster.yaml")).replace("replicas: 2", "replicas: 3"))
    proc = kix("package", "test", "demo", "--accept", "--format", "json", cwd=tmp, env=env, expect=1)
    outcomes = {c["name"]: c["outcome"] for c in json.loads(proc.stdout)["cases"]}
    check(outcomes == {"test": "accepted", "test/privileged-port": "passed", "test/zz": "error"},
          f"{outcomes}")
    check(read(os.path.join(demo, "test", "zz", "expected", "notes.md")) == "mine\n", proc.stderr)
    shutil.rmtree(os.path.join(demo, "test", "zz"))
    shutil.rmtree(os.path.join(demo, "test", "expected"))
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("there is no demo/test/expected" in proc.stdout, proc.stdout)
    kix("package", "test", "demo", "--accept", cwd=tmp, env=env, expect=0)
    # A subdirectory of expected/ would never be compared: the case fails
    # instead of passing on files it does not check.
    expected = os.path.join(demo, "test", "expected")
    write(os.path.join(expected, "more", "extra.yaml"), read(os.path.join(expected, "root")))
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=1)
    check("never compared: more/ is not a file" in proc.stdout, proc.stdout)
    proc = kix("package", "test", "demo", "--format", "json", cwd=tmp, env=env, expect=1)
    by_name = {c["name"]: c for c in json.loads(proc.stdout)["cases"]}
    check(by_name["test"]["outcome"] == "failed" and by_name["test"]["notFiles"] == ["more/"]
          and by_name["test/privileged-port"]["notFiles"] == [], proc.stdout)
    shutil.rmtree(os.path.join(expected, "more"))
    kix("package", "test", "demo", cwd=tmp, env=env, expect=0)

    # No test at all.
    shutil.rmtree(os.path.join(demo, "test"))
    proc = kix("package", "test", "demo", cwd=tmp, env=env, expect=2)
    check("package 'demo' has no test" in proc.stderr and "--accept" in proc.stderr, proc.stderr)


def secret_values(tmp, env):
    """A Secret's values reach expected/ (where --accept was asked to write
    them) and nothing else: a changed Secret is named, not diffed."""
    write(os.path.join(tmp, "sec", "package.yaml"), """package: sec
description: A Secret.
options:
  password: { type: string, required: true, description: The password. }
resources:
  secret:
    manifest:
      apiVersion: v1
      kind: Secret
      metadata: { name: "${self.name}" }
      stringData: { password: "${config.password}" }
""")
    case = os.path.join(tmp, "sec", "test", "cluster.yaml")
    write(case, "cluster: s\ninstances:\n  s:\n    s: { package: sec, config: { password: old-pw-1 } }\n")
    kix("package", "test", "sec", "--accept", cwd=tmp, env=env, expect=0)
    write(case, read(case).replace("old-pw-1", "new-pw-2"))
    for args in [[], ["--format", "json"]]:
        proc = kix("package", "test", "sec", *args, cwd=tmp, env=env, expect=1)
        check("s_Secret_s.yaml" in proc.stdout and "-pw-" not in proc.stdout + proc.stderr,
              proc.stdout + proc.stderr)
    # The result does not depend on whose machine it is: Secrets are sealed
    # with kix's public test key, and no key file is read or made.
    write(case, read(case).replace("new-pw-2", "old-pw-1"))
    elsewhere = dict(env, KIX_SECRET_KEY_FILE=os.path.join(tmp, "no-such-dir", "secret.key"))
    kix("package", "test", "sec", cwd=tmp, env=elsewhere, expect=0)
    check(not os.path.exists(os.path.join(tmp, "no-such-dir")), "no key file is made")


def environment_failures(tmp, env):
    """A case that must fail is never judged, nor accepted, when the build
    failed for a reason outside the definition (an unreachable chart
    repository here)."""
    shutil.copytree(os.path.join(SRC, "packages", "cnpg-operator"), os.path.join(tmp, "cnpg-operator"))
    manifest = os.path.join(tmp, "cnpg-operator", "package.yaml")
    text = read(manifest)
    start = text.index("  repository: ")
    end = text.index("\n", start)
    write(manifest, text[:start] + "  repository: http://127.0.0.1:1/charts" + text[end:])
    shutil.rmtree(os.path.join(tmp, "cnpg-operator", "test", "expected"))
    case = os.path.join(tmp, "cnpg-operator", "test", "bad")
    shutil.copy(os.path.join(tmp, "cnpg-operator", "test", "cluster.yaml"), case + ".yaml")
    write(os.path.join(case, "cluster.yaml"), read(case + ".yaml"))
    write(os.path.join(case, "expected-errors.txt"), "some error\n")
    proc = kix("package", "test", "cnpg-operator", "--accept", "--format", "json", cwd=tmp, env=env,
               expect=1)
    outcomes = {c["name"]: c["outcome"] for c in json.loads(proc.stdout)["cases"]}
    check(outcomes == {"test": "error", "test/bad": "error"}, f"{outcomes}")
    check(read(os.path.join(case, "expected-errors.txt")) == "some error\n",
          "an environment's failure is not recorded as the expected error")
    check("Couldn't connect" in proc.stderr or "connect" in proc.stderr, proc.stderr)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), NO_COLOR="1")
        new_lint_test(tmp, env)
        new_refusals(tmp, env)
        lint_findings(tmp, env)
        test_runner(tmp, env)
        secret_values(tmp, env)
        environment_failures(tmp, env)
    return finish()


if __name__ == "__main__":
    raise SystemExit(main())
