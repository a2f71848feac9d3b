#!/usr/bin/env python3
"""Secrets kix does not hold, with the real binary on examples/immich-full and
a scripted kubectl (there is no API server here): `kix plan` lists the
required and generated Secrets, `kix deploy --dry-run` shows the existence
checks and the generation step, a missing required Secret stops the deploy
before anything is applied, a missing generated Secret is created once with
a fresh random value that appears nowhere but on kubectl's stdin, and an
existing one is left alone."""

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

from e2e_support import FAKE_CLUSTER, SRC, ChartRepository, check, finish, kix, tool

SOURCE_EXAMPLE = os.path.join(SRC, "examples/immich-full")

# Answers `get secret NAME` from FAKE_SECRETS ({"name": ["key", ...]}) the way
# kubectl answers kix's go-template, and the waves' `get TYPE/NAME ... -o
# json` with what it applied, settled (e2e_support.FAKE_CLUSTER); records
# every call and its stdin.
FAKE_KUBECTL = "#!/usr/bin/env python3\n" + FAKE_CLUSTER + r"""
args = sys.argv[1:]
stdin = sys.stdin.read() if "-f" in args else ""
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as f:
    f.write(json.dumps({"argv": args, "stdin": stdin}) + "\n")
if args[:2] == ["get", "secret"]:
    secrets = json.loads(os.environ.get("FAKE_SECRETS", "{}"))
    if args[2] in secrets:
        print("kix-secret-exists")
        for key in sorted(secrets[args[2]]):
            print(key)
    sys.exit(0)
if args[:1] == ["create"]:
    print("secret/" + json.loads(stdin)["metadata"]["name"] + " created")
    sys.exit(0)
if args[:1] == ["apply"]:
    record_apply(stdin)
if args[:1] == ["get"]:
    print(answer_get(args))
    sys.exit(0)
print("ok")
"""


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        charts = ChartRepository(tmp)
        charts.publish_shared()
        with charts:
            run(tmp, charts)
    return finish()


def run(tmp, charts):
    bin_dir = os.path.join(tmp, "bin")
    os.mkdir(bin_dir)
    kubectl = os.path.join(bin_dir, "kubectl")
    with open(kubectl, "w") as f:
        f.write(FAKE_KUBECTL)
    os.chmod(kubectl, os.stat(kubectl).st_mode | stat.S_IEXEC)
    log = os.path.join(tmp, "kubectl.log")
    store = os.path.join(tmp, "store")
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], FAKE_KUBECTL_LOG=log,
               KIX_STORE=store, NO_COLOR="1", **charts.env())
    env.pop("KIX_KUBECTL", None)
    # The example with its operator's chart locked, in a copy.
    EXAMPLE = os.path.join(tmp, "immich-full")
    shutil.copytree(SOURCE_EXAMPLE, EXAMPLE)
    kix("lock", EXAMPLE, env=env, expect=0)

    # The build holds recipes and requirements, never a Secret.
    out = os.path.join(tmp, "result")
    kix("build", EXAMPLE, "-o", out, env=env, expect=0)
    kinds = [f.split("_")[1] for f in os.listdir(out) if f.endswith(".yaml")]
    check("Secret" not in kinds, f"the example must hold no Secret: {sorted(kinds)}")
    check("GeneratedSecret" in kinds and "RequiredSecret" in kinds, f"recipes: {sorted(kinds)}")

    # kix plan lists both, with their consumers.
    text = kix("plan", EXAMPLE, env=env, expect=0).stdout
    check("Secrets kix does not hold" in text, f"plan text:\n{text}")
    check("required  Secret/immich-api-key-secret @ immich  keys api-key" in text, text)
    check("generated Secret/immich-db-credentials @ immich  keys password (32 alphanumeric), "
          "username (fixed)" in text, text)
    plan = json.loads(kix("plan", EXAMPLE, "--format", "json", env=env, expect=0).stdout)
    by_name = {s["name"]: s for s in plan["secrets"]}
    check(set(by_name) == {"immich-api-key-secret", "immich-db-credentials"}, plan["secrets"])
    req = by_name.get("immich-api-key-secret", {})
    check(req.get("kind") == "RequiredSecret" and req.get("keys") == ["api-key"], req)
    check({"kind": "Deployment", "namespace": "immich", "name": "immich-server"} in req.get("usedBy", []),
          req)
    gen = by_name.get("immich-db-credentials", {})
    check(gen.get("kind") == "GeneratedSecret" and gen.get("type") == "kubernetes.io/basic-auth", gen)
    check({"key": "password", "length": 32, "alphabet": "alphanumeric", "entropyBits": 190}
          in gen.get("keys", []), gen)

    # The dry run: the checks come first, then the generation in its wave.
    dry = kix("deploy", "--dry-run", EXAMPLE, env=env, expect=0).stdout
    check(read_log(log) == [], "a dry run must not run kubectl")
    lines = dry.splitlines()
    checks = [i for i, l in enumerate(lines) if not l.startswith("#") and " get secret " in l]
    check(len(checks) == 2, f"two existence checks expected:\n{dry}")
    first_wave = next((i for i, l in enumerate(lines) if l == "# wave 0"), None)
    check(first_wave is not None and all(i < first_wave for i in checks),
          f"the checks must come before wave 0:\n{dry}")
    generation = next((i for i, l in enumerate(lines)
                       if l.startswith("# generate Secret/immich-db-credentials @ immich unless it exists")),
                      None)
    check(generation is not None and " create -f -  # stdin: the Secret with fresh random values" in
          lines[generation + 1],
          f"the generation step:\n{dry}")
    # The existence check's template, run by the real kubectl on a Secret
    # it builds locally: it prints the marker and the sorted key names.
    template = next((a for l in lines if not l.startswith("#") and " get secret " in l
                     for a in shlex.split(l.split("  # ")[0]) if a.startswith("-o=go-template=")), None)
    check(template is not None, f"no go-template in the check:\n{dry}")
    if template:
        real = subprocess.run([tool("kubectl"), "create", "secret", "generic", "x",
                               "--from-literal=user=u", "--from-literal=api-key=k",
                               "--dry-run=client", template],
                              capture_output=True, text=True, env=dict(env, KUBECONFIG="/nonexistent"))
        check(real.returncode == 0 and real.stdout == "kix-secret-exists\napi-key\nuser\n",
              f"kubectl's answer to the check's template: {real.returncode} {real.stdout!r} {real.stderr!r}")
    cluster_apply = next((i for i, l in enumerate(lines) if "Cluster/immich-postgres" in l), None)
    check(generation is not None and cluster_apply is not None and generation < cluster_apply,
          f"the Secret must be generated before the database that reads it:\n{dry}")

    # Nothing exists: the required Secret stops the deploy before any wave.
    proc = kix("deploy", EXAMPLE, env=env, expect=2)
    check("required Secrets are missing" in proc.stderr, proc.stderr)
    check("kubectl create secret generic immich-api-key-secret -n immich --from-literal=api-key=..."
          in proc.stderr, proc.stderr)
    check("Account Settings > API Keys" in proc.stderr, proc.stderr)
    check("nothing was applied" in proc.stderr, proc.stderr)
    calls = read_log(log)
    check(calls and all(c["argv"][:2] == ["get", "secret"] for c in calls),
          f"only checks may run: {[c['argv'][:3] for c in calls]}")

    # The API key exists: the database credentials are generated once.
    os.remove(log)
    env["FAKE_SECRETS"] = json.dumps({"immich-api-key-secret": ["api-key"]})
    proc = kix("deploy", EXAMPLE, env=env, expect=0)
    calls = read_log(log)
    creates = [c for c in calls if c["argv"][:1] == ["create"]]
    check(len(creates) == 1, f"one create expected: {[c['argv'] for c in calls]}")
    password = ""
    if creates:
        secret = json.loads(creates[0]["stdin"])
        check(secret["metadata"]["name"] == "immich-db-credentials" and secret["type"] ==
              "kubernetes.io/basic-auth", secret["metadata"])
        check(secret["stringData"]["username"] == "immich_admin", "the owner's name")
        password = secret["stringData"]["password"]
        check(len(password) == 32 and password.isalnum(), "a 32-character alphanumeric password")
        first_apply = next(i for i, c in enumerate(calls) if c["argv"][:1] == ["apply"])
        database = next(i for i, c in enumerate(calls)
                        if c["argv"][:1] == ["apply"] and "immich-postgres" in c["stdin"])
        check(calls.index(creates[0]) > first_apply and calls.index(creates[0]) < database,
              "generated after the Namespace, before the database")
    check(all('"kix.dev/v1"' not in c["stdin"] for c in calls if c["argv"][:1] == ["apply"]),
          "a kix.dev kind reached kubectl apply")
    check("generate Secret/immich-db-credentials @ immich unless it exists" in proc.stdout and
          ": generated" in proc.stdout, proc.stdout)
    if password:
        check(password not in proc.stdout + proc.stderr, "the generated password was printed")
        for root, _, files in os.walk(tmp):
            for name in files:
                path = os.path.join(root, name)
                if path in (log, kubectl):
                    continue
                with open(path, "rb") as f:
                    check(password.encode() not in f.read(),
                          f"the generated password is in {os.path.relpath(path, tmp)}")

    # Both exist now: nothing is generated again.
    os.remove(log)
    env["FAKE_SECRETS"] = json.dumps({"immich-api-key-secret": ["api-key"],
                                      "immich-db-credentials": ["password", "username"]})
    proc = kix("deploy", EXAMPLE, env=env, expect=0)
    check(not [c for c in read_log(log) if c["argv"][:1] == ["create"]],
          "an existing generated Secret must be left alone")
    check("exists: left alone" in proc.stdout, proc.stdout)


if __name__ == "__main__":
    sys.exit(main())
