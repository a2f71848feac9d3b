#!/usr/bin/env python3
"""kix deploy with a fake kubectl on PATH: --dry-run prints the waves'
commands in order; a real run applies wave by wave with server-side apply,
waits for workloads, and stops at the first failure."""

import json
import os
import stat
import subprocess
import sys
import tempfile

from e2e_support import KIX, SRC, check, finish, kix

DESIRED = os.path.join(SRC, "tests/e2e/fixtures/diff/desired")

FAKE_KUBECTL = r"""#!/usr/bin/env python3
import json, os, sys
log = os.environ["FAKE_KUBECTL_LOG"]
stdin = sys.stdin.read() if "-f" in sys.argv else ""
with open(log, "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "stdin": stdin}) + "\n")
fail_on = os.environ.get("FAKE_KUBECTL_FAIL_ON", "")
if fail_on and fail_on in " ".join(sys.argv[1:]):
    sys.stderr.write("error: deployment \"immich-server\" exceeded its progress deadline\n")
    sys.exit(1)
print("ok")
"""


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def main():
    plan = json.loads(subprocess.run([KIX, "plan", DESIRED, "--format", "json"], capture_output=True,
                                     text=True, check=True).stdout)
    wave_names = [[f"{r['kind']}/{r['name']}" for r in w["resources"]] for w in plan["waves"]]

    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = os.path.join(tmp, "bin")
        os.mkdir(bin_dir)
        kubectl = os.path.join(bin_dir, "kubectl")
        with open(kubectl, "w") as f:
            f.write(FAKE_KUBECTL)
        os.chmod(kubectl, os.stat(kubectl).st_mode | stat.S_IEXEC)
        log = os.path.join(tmp, "kubectl.log")
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"], FAKE_KUBECTL_LOG=log,
                   KIX_STORE=os.path.join(tmp, "store"))
        env.pop("KIX_KUBECTL", None)

        # --dry-run: the commands in wave order, nothing executed, no secret printed.
        out = kix("deploy", "--dry-run", DESIRED, "--context", "prod", env=env, expect=0).stdout
        check(read_log(log) == [], "dry run must not run kubectl")
        applies = [l for l in out.splitlines() if " apply " in l and not l.startswith("#")]
        check(len(applies) == len(wave_names), f"one apply per wave expected:\n{out}")
        check(all("--context prod apply --server-side --field-manager=kix -f -" in l for l in applies),
              f"apply lines:\n{out}")
        headers = [l for l in out.splitlines() if l.startswith("# apply wave")]
        for i, names in enumerate(wave_names):
            check(i < len(headers) and headers[i].startswith(f"# apply wave {i}:"), f"wave {i} header:\n{out}")
            for name in names:
                kind, rname = name.split("/")
                check(i < len(headers) and f"{kind}/{rname}" in headers[i], f"{name} not in wave {i} header")
        check("rollout status deployment.apps/immich-server -n immich" in out, f"rollout wait missing:\n{out}")
        check(out.index("rollout status statefulset.apps/valkey") < out.index("# apply wave 2"),
              "a wave's waits come before the next wave")
        check("correct-horse-battery" not in out, "dry run printed a Secret value")

        # A real run against the fake kubectl.
        out = kix("deploy", DESIRED, env=env, expect=0).stdout
        calls = read_log(log)
        applied = [c for c in calls if c["argv"][:1] == ["apply"]]
        check(len(applied) == len(wave_names), f"expected {len(wave_names)} applies, got {len(applied)}")
        for i, call in enumerate(applied):
            check(call["argv"] == ["apply", "--server-side", "--field-manager=kix", "-f", "-"], call["argv"])
            items = json.loads(call["stdin"])["items"]
            names = [f"{o['kind']}/{o['metadata']['name']}" for o in items]
            check(i < len(wave_names) and names == wave_names[i], f"wave {i} applied {names}")
        kinds_order = [c["argv"][0] for c in calls]
        check(kinds_order.count("rollout") == 2, f"rollout waits: {kinds_order}")

        # A failing rollout stops the deploy: later waves are not applied.
        os.remove(log)
        env["FAKE_KUBECTL_FAIL_ON"] = "deployment.apps/immich-server"
        proc = kix("deploy", DESIRED, env=env, expect=2)
        check("deploy stopped in wave" in proc.stderr and "progress deadline" in proc.stderr,
              f"failure report:\n{proc.stderr}")
        calls = read_log(log)
        check(calls and calls[-1]["argv"][:2] == ["rollout", "status"], "the failing wait is the last call")
        applied = [c for c in calls if c["argv"][:1] == ["apply"]]
        check(len(applied) == len(wave_names) - 1, f"the last wave must not be applied ({len(applied)} applies)")
        # Only the wait failed, so the report counts the failing wave as applied.
        check(f"waves 0 to {len(wave_names) - 2} were applied" in proc.stderr,
              f"the report must say which waves reached the cluster:\n{proc.stderr}")

        # Deployments are recorded without appending generations: two generations
        # in the store, deploy each by REF, `kix store log` marks the deployed one.
        env.pop("FAKE_KUBECTL_FAIL_ON", None)
        kix("store", "add", "--cluster", "e2e", "-m", "first", DESIRED, env=env, expect=0)
        extra = os.path.join(tmp, "extra")
        os.mkdir(extra)
        with open(os.path.join(extra, "cm.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: e2e\n"
                    "data:\n  k: v\n")
        kix("store", "add", "--cluster", "e2e", "-m", "second", extra, env=env, expect=0)

        def log_json():
            return json.loads(kix("store", "log", "e2e", "--format", "json", env=env, expect=0).stdout)

        check([g["deployed"] for g in log_json()] == [False, False], f"nothing deployed yet: {log_json()}")
        out = kix("deploy", "e2e@1", "--context", "prod", env=env, expect=0).stdout
        check("deployed e2e generation 1 (root " in out, f"deploying e2e@1:\n{out}")
        gens = log_json()
        check(len(gens) == 2, f"deploying a stored generation must not append one: {gens}")
        check([g["deployed"] for g in gens] == [True, False], f"generation 1 must be deployed: {gens}")
        text = kix("store", "log", "e2e", env=env, expect=0).stdout.splitlines()
        check(len(text) == 2 and text[0].startswith("1 ") and text[0].endswith("(deployed)")
              and text[1].endswith("(current)"), f"store log text:\n{text}")
        out = kix("deploy", "e2e", env=env, expect=0).stdout
        check("deployed e2e generation 2 (root " in out, f"deploying e2e:\n{out}")
        gens = log_json()
        check(len(gens) == 2 and [g["deployed"] for g in gens] == [False, True], f"after e2e: {gens}")
        text = kix("store", "log", "e2e", env=env, expect=0).stdout.splitlines()
        check(text and text[-1].endswith("(current, deployed)"), f"store log text:\n{text}")

        # The compiled example: its waves' commands in order.
        immich = os.path.join(SRC, "examples/immich")
        if os.path.isfile(os.path.join(immich, "cluster.yaml")):
            iplan = json.loads(kix("plan", immich, "--format", "json", env=env, expect=0).stdout)
            out = kix("deploy", "--dry-run", immich, env=env, expect=0).stdout
            headers = [l for l in out.splitlines() if l.startswith("# apply wave")]
            check(len(headers) == len(iplan["waves"]), f"immich dry run waves:\n{out}")
            position = -1
            for w in iplan["waves"]:
                header = next((l for l in headers if l.startswith(f"# apply wave {w['wave']}:")), "")
                check(header and out.index(header) > position, f"wave {w['wave']} out of order:\n{out}")
                position = out.index(header) if header else position
                for r in w["resources"]:
                    check(f"{r['kind']}/{r['name']}" in header, f"{r['kind']}/{r['name']} not in wave {w['wave']}")
            check("rollout status deployment.apps/immich-server -n immich" in out, out)

            # A successful deploy of a definition records the deployed root as a generation.
            out = kix("deploy", immich, env=env, expect=0).stdout
            check(" as generation 1 (root " in out, f"deploy did not record a generation:\n{out}")
            out = kix("deploy", immich, env=env, expect=0).stdout
            check(" generation 1 (root " in out and " as generation" not in out,
                  f"redeploying the current generation must not add one:\n{out}")
            deployed = [l for l in out.splitlines() if l.startswith("deployed ")]
            cluster = deployed[0].split()[1] if deployed else ""
            gens = json.loads(kix("store", "log", cluster, "--format", "json", env=env, expect=0).stdout)
            check(len(gens) == 1 and gens[0]["deployed"], f"the compiled root is deployed: {gens}")

        # No kubectl at all: a clear error, exit 2.
        env_no = dict(env, PATH="/nonexistent", KIX_KUBECTL="")
        proc = kix("deploy", DESIRED, env=env_no, expect=2)
        check("kubectl" in proc.stderr, proc.stderr)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
