#!/usr/bin/env python3
"""kix deploy with a fake kubectl on PATH: --dry-run prints the waves'
commands in order; a real run applies wave by wave with server-side apply,
waits for each wave by polling its objects' health (one line per object
off a terminal, a status line rewritten in place on one), and stops at the
first failure: a Degraded object at once, a wave that is not ready at its
deadline."""

import json
import os
import stat
import subprocess
import sys
import tempfile

from e2e_support import FAKE_CLUSTER, KIX, SRC, check, finish, kix, on_terminal

DESIRED = os.path.join(SRC, "tests/e2e/fixtures/diff/desired")

# Logs every call; keeps what it applies and answers the waits' `get` from
# it (e2e_support.FAKE_CLUSTER: settled, unless FAKE_STATUS says otherwise).
FAKE_KUBECTL = "#!/usr/bin/env python3\n" + FAKE_CLUSTER + r"""
log = os.environ["FAKE_KUBECTL_LOG"]
args = sys.argv[1:]
stdin = sys.stdin.read() if "-f" in args else ""
with open(log, "a") as f:
    f.write(json.dumps({"argv": args, "stdin": stdin}) + "\n")
if args[:1] == ["--context"]:
    args = args[2:]
if args[0] == "apply":
    record_apply(stdin)
if args[0] == "get":
    print(answer_get(args))
    sys.exit(0)
print("ok")
"""

STUCK = {"Deployment/immich-server": {
    "replicas": 1, "updatedReplicas": 1,
    "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                    "message": "ReplicaSet \"immich-server-5d8f\" has timed out progressing."}]}}
ROLLING = {"Deployment/immich-server": {"replicas": 1, "updatedReplicas": 1, "availableReplicas": 0}}


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
        polls = [l for l in out.splitlines() if " get " in l and l.endswith("--ignore-not-found -o json")]
        check(len(polls) >= len(wave_names), f"every wave is polled:\n{out}")
        check(any("--context prod get " in l and "deployment.apps/immich-server" in l and "-n immich" in l
                  for l in polls), f"the wait for immich-server is missing:\n{out}")
        check("poll every 2s until each is ready, at most 300s for the wave" in out, out)
        check("#   healthy: " in out and "Deployment/immich-server @ immich" in out, out)
        valkey = next((l for l in polls if "statefulset.apps/valkey" in l), "")
        check(valkey and out.index(valkey) < out.index("# apply wave 2"),
              "a wave's wait comes before the next wave")
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
        verbs = [c["argv"][0] for c in calls]
        check(verbs.count("get") == len(wave_names), f"one poll per wave, all healthy at once: {verbs}")
        check(verbs.index("get") == verbs.index("apply") + 1, f"each wave's poll follows its apply: {verbs}")
        # Off a terminal: one line per object as it becomes ready, then the wave's.
        check("     ready Deployment/immich-server @ immich: Healthy: 1 of 1 replicas available" in out, out)
        check(f"ok   wait for wave {len(wave_names) - 1} (" in out and " ready in 0s" in out, out)
        check("\x1b" not in out and "\r" not in out, "no status line off a terminal")

        # A Degraded workload stops the deploy at once: later waves are not applied.
        os.remove(log)
        env["FAKE_STATUS"] = json.dumps(STUCK)
        proc = kix("deploy", DESIRED, env=env, expect=2)
        check("deploy stopped in wave" in proc.stderr and "an object is Degraded" in proc.stderr
              and "Deployment/immich-server @ immich: Degraded: ProgressDeadlineExceeded: ReplicaSet "
                  "\"immich-server-5d8f\" has timed out progressing." in proc.stderr,
              f"failure report:\n{proc.stderr}")
        calls = read_log(log)
        check(calls and calls[-1]["argv"][0] == "get", "the failing wait is the last call")
        check([c["argv"][0] for c in calls].count("get") == len(wave_names) - 1,
              "a Degraded object ends the wait at the first poll")
        applied = [c for c in calls if c["argv"][:1] == ["apply"]]
        check(len(applied) == len(wave_names) - 1, f"the last wave must not be applied ({len(applied)} applies)")
        # Only the wait failed, so the report counts the failing wave as applied.
        check(f"waves 0 to {len(wave_names) - 2} were applied" in proc.stderr,
              f"the report must say which waves reached the cluster:\n{proc.stderr}")

        # A workload still rolling out at the wave's deadline: every object not
        # ready is named; the waves up to it were applied and are recorded as such.
        env["FAKE_STATUS"] = json.dumps(ROLLING)
        proc = kix("deploy", DESIRED, "--timeout", "1", env=env, expect=2)
        check("timed out after 1s (--timeout)" in proc.stderr
              and "  Deployment/immich-server @ immich: Progressing: 0 of 1 replicas available"
              in proc.stderr, f"deadline report:\n{proc.stderr}")
        check(f"waves 0 to {len(wave_names) - 2} were applied" in proc.stderr, proc.stderr)

        # On a terminal: a status line rewritten in place, cleared before the
        # wave's line; no colours with NO_COLOR.
        env.pop("FAKE_STATUS")
        code, text, _ = on_terminal(["deploy", DESIRED], dict(env, NO_COLOR="1"))
        check(code == 0, f"deploy on a terminal: exit {code}\n{text}")
        check("\r\x1b[Kwave 0: 1/1 ready, 0s\r\x1b[Kok   wait for wave 0 (1 object)" in text,
              f"the status line:\n{text!r}")
        check("     ready " not in text, "no per-object lines on a terminal")
        check("\x1b[3" not in text, "no colours with NO_COLOR")

        # Deployments are recorded without appending generations: two generations
        # in the store, deploy each by REF, `kix store log` marks the deployed one.
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
            check("deployment.apps/immich-server" in out and "--ignore-not-found -o json" in out, out)

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
