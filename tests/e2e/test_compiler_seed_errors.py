"""Seed 000's three mistakes and the ambiguity error, on their exact texts.

Runs the real `kix build` on small cluster definitions in a temporary
directory and checks the error and warning texts, file and line, and exit
codes (1 for a definition with errors, 0 for a warning only).
"""
import os
import subprocess
import sys
import tempfile
import textwrap

KIX = os.environ["KIX"]

VECTORS = """\
      config:
        postgres:
          extensions:
            - { name: vectors, publisher: tensorchord, version: "0.4.0" }
"""

FAILURES = []


def check(condition, what, output=""):
    if not condition:
        FAILURES.append(what + ("\n--- output ---\n" + output if output else ""))


def build(workdir, definition):
    case = tempfile.mkdtemp(dir=workdir)
    with open(os.path.join(case, "cluster.yaml"), "w") as f:
        f.write(definition)
    env = dict(os.environ, KIX_STORE=os.path.join(workdir, "store"), NO_COLOR="1")
    p = subprocess.run([KIX, "build"], cwd=case, env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def test_forgotten_storage(workdir):
    code, out, err = build(workdir, textwrap.dedent("""\
        cluster: homelab
        availablePackages: [valkey]
        instances:
          immich:
            immich:
              package: immich
            immich-db:
              package: stackgres-cluster
              aliases: [postgres]
        """) + VECTORS)
    check(code == 1, f"no storage: exit code {code}, want 1", err)
    check("cluster.yaml:5:5: error: no 'storage' found in cluster for namespace 'immich'\n" in err,
          "no storage: first line with file and line", err)
    for line in [
        "       The package 'immich' requires a dependency named 'storage'\n",
        "       but no instance with that name or alias exists in namespace 'immich'\n",
        "       and no matching package was found in availablePackages for auto-instantiation.\n",
    ]:
        check(line in err, "no storage: explanation line " + repr(line), err)
    check(out == "", "no storage: nothing on stdout", out)


def test_small_storage_warns(workdir):
    code, out, err = build(workdir, textwrap.dedent("""\
        cluster: homelab
        availablePackages: [valkey]
        instances:
          immich:
            immich:
              package: immich
            immich-library:
              package: persistent-volume-claim
              aliases: [storage]
              config: { size: 10Gi }
            immich-db:
              package: stackgres-cluster
              aliases: [postgres]
        """) + VECTORS)
    check(code == 0, f"10Gi: exit code {code}, want 0", err)
    check("cluster.yaml:5:5: warning: immich 'immich' library storage is 10Gi\n"
          "         — recommended minimum is 50Gi for photo libraries\n" in err,
          "10Gi: the warning text with file and line", err)
    last = (out.strip().splitlines() or [""])[-1]
    check(len(last) == 64 and all(c in "0123456789abcdef" for c in last),
          "10Gi: the root hash is the last line", out)


def test_missing_vector_extension(workdir):
    code, out, err = build(workdir, textwrap.dedent("""\
        cluster: homelab
        availablePackages: [valkey]
        instances:
          immich:
            immich:
              package: immich
            immich-db:
              package: stackgres-cluster
              aliases: [postgres]
            immich-library:
              package: persistent-volume-claim
              aliases: [storage]
              config: { size: 200Gi }
        """))
    check(code == 1, f"no vectors: exit code {code}, want 1", err)
    check("cluster.yaml:5:5: error: immich requires the 'vectors' PostgreSQL extension (pgvecto.rs)\n"
          "       but the postgres instance 'immich-db' does not have it configured.\n" in err,
          "no vectors: the error text", err)
    check("       Add to your postgres config:\n" in err, "no vectors: shows the config to add", err)
    check('- { name: vectors, publisher: tensorchord, version: "0.4.0" }' in err,
          "no vectors: shows the extension entry", err)


def test_two_postgres_aliases_are_ambiguous(workdir):
    code, out, err = build(workdir, textwrap.dedent("""\
        cluster: homelab
        availablePackages: [valkey]
        instances:
          immich:
            immich:
              package: immich
            db-a:
              package: stackgres-cluster
              aliases: [postgres]
            db-b:
              package: cnpg-cluster
              aliases: [postgres]
            immich-library:
              package: persistent-volume-claim
              aliases: [storage]
              config: { size: 200Gi }
        """))
    check(code == 1, f"ambiguous: exit code {code}, want 1", err)
    check("cluster.yaml:5:5: error: ambiguous auto-resolution for 'postgres' in namespace 'immich'\n" in err,
          "ambiguous: the error text", err)
    check("'db-a' (cluster.yaml:7:5)" in err and "'db-b' (cluster.yaml:10:5)" in err,
          "ambiguous: both candidates with file and line", err)


def main():
    with tempfile.TemporaryDirectory() as workdir:
        test_forgotten_storage(workdir)
        test_small_storage_warns(workdir)
        test_missing_vector_extension(workdir)
        test_two_postgres_aliases_are_ambiguous(workdir)
    for f in FAILURES:
        print("FAIL:", f, file=sys.stderr)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
