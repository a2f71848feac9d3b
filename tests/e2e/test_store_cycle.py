#!/usr/bin/env python3
"""The 2,000-resource store cycle: add x3 with small changes, log, diff,
rollback to generation 1 (hash-identical), pin + gc, verify."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KIX = os.environ["KIX"]
GROUPS = 500  # four resources each: ConfigMap, Secret, Deployment, Service


def write_group(directory, i, config_value="v1", image="nginx:1.25"):
    ns = f"team-{i % 7}"
    files = {
        f"cm-{i}.yaml": f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{i}
  namespace: {ns}
data:
  setting: "{config_value}"
  script: |
    #!/bin/sh
    echo starting {i}
""",
        f"secret-{i}.yaml": f"""apiVersion: v1
kind: Secret
metadata:
  name: secret-{i}
  namespace: {ns}
stringData:
  password: pw-{i}
""",
        f"deploy-{i}.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: {ns}
  labels: {{app: app-{i}}}
spec:
  replicas: {1 + i % 3}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports: [{{containerPort: 8080}}]
        envFrom:
        - secretRef: {{name: secret-{i}}}
        volumeMounts: [{{name: config, mountPath: /etc/app}}]
      volumes:
      - name: config
        configMap: {{name: cm-{i}}}
""",
        f"svc-{i}.yaml": f"""apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: {ns}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
""",
    }
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)


def run(env, *args, expect=0):
    p = subprocess.run([KIX, *args], env=env, capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit(f"kix {' '.join(args)}: exit {p.returncode}, expected {expect}\n"
                 f"stdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}")
    return p


def last_line(p):
    return p.stdout.strip().splitlines()[-1]


def main():
    tmp = tempfile.mkdtemp(prefix="kix-store-cycle-")
    try:
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), NO_COLOR="1")
        src = os.path.join(tmp, "manifests")
        os.mkdir(src)
        for i in range(GROUPS):
            write_group(src, i)

        roots = []
        roots.append(last_line(run(env, "store", "add", "--cluster", "demo", "-m", "first", src)))
        # Generation 2: 10 ConfigMaps change (10 files).
        for i in range(10):
            write_group(src, i, config_value="v2")
        roots.append(last_line(run(env, "store", "add", "--cluster", "demo", "-m", "second",
                                   "--source-revision", "abc123", src)))
        # Generation 3: 5 Deployments get a new image (5 files).
        for i in range(100, 105):
            write_group(src, i, config_value="v1", image="nginx:1.26")
        roots.append(last_line(run(env, "store", "add", "--cluster", "demo", "-m", "third", src)))
        for r in roots:
            assert len(r) == 64 and all(c in "0123456789abcdef" for c in r), r
        assert len(set(roots)) == 3, roots

        log = run(env, "store", "log", "demo").stdout.splitlines()
        assert len(log) == 3, log
        assert log[0].startswith("1  " + roots[0]) and "first" in log[0], log
        assert "abc123" in log[1], log
        assert log[2].endswith("(current)"), log
        log_json = json.loads(run(env, "store", "log", "demo", "--format", "json").stdout)
        assert [g["root"] for g in log_json] == roots

        ls = run(env, "store", "ls", "demo@1").stdout.splitlines()
        assert len(ls) == GROUPS * 4, len(ls)

        diff = json.loads(run(env, "store", "diff", "demo@1", "demo@2", "--format", "json",
                              expect=1).stdout)
        summary = diff["summary"]
        assert diff["mode"] == "builds" and diff["left"] == "demo@2", diff
        assert summary["modified"] == 10, summary
        assert summary["added"] == 0 and summary["removed"] == 0
        # The Deployments mounting a changed ConfigMap and the Services selecting them.
        assert summary["dependency-changed"] == 20, summary
        assert summary["identical"] == GROUPS * 4 - 30, summary
        for change in diff["resources"]:
            if change["status"] == "modified":
                assert [c["path"] for c in change["changes"]] == ["$.data.setting"], change
        d23 = json.loads(run(env, "store", "diff", "demo@2", "demo", "--format", "json",
                             expect=1).stdout)
        assert d23["summary"]["modified"] == 5, d23["summary"]
        text = run(env, "store", "diff", "demo@2", "demo@3", expect=1).stdout
        assert "new:  nginx:1.26" in text and "base: nginx:1.25" in text, text[:2000]
        md = run(env, "store", "diff", "demo@2", "demo@3", "--format", "markdown", expect=1).stdout
        assert "| identical |" in md, md[:500]
        # The same report as kix diff of the two generations.
        same = json.loads(run(env, "diff", "demo@2", "--against", "demo@1", "--format", "json",
                              expect=1).stdout)
        assert same["summary"] == summary and same["resources"] == diff["resources"], same["summary"]
        run(env, "store", "diff", "demo@3", roots[2][:12], expect=0)

        # Rollback to generation 1: the written files add back to the same root.
        out = os.path.join(tmp, "result")
        rb = run(env, "rollback", "demo@1", "-o", out)
        assert last_line(rb) == roots[0], rb.stdout
        with open(os.path.join(out, "root")) as f:
            assert f.read().strip() == roots[0]
        yamls = [n for n in os.listdir(out) if n.endswith(".yaml")]
        assert len(yamls) == GROUPS * 4, len(yamls)
        log = run(env, "store", "log", "demo").stdout.splitlines()
        assert len(log) == 4 and roots[0] in log[3] and "rollback to generation 1" in log[3], log
        readd = run(env, "store", "add", "--cluster", "demo", "-m", "re-add", out)
        assert last_line(readd) == roots[0], (readd.stdout, roots[0])
        assert "0 new blobs" in readd.stdout, readd.stdout
        # Secrets are written in full by rollback: the output is what gets applied.
        with open(os.path.join(out, "team-0_Secret_secret-0.yaml")) as f:
            assert "pw-0" in f.read()
        # A second rollback replaces the earlier result.
        run(env, "store", "rollback", "demo@3", "-o", out)
        with open(os.path.join(out, "root")) as f:
            assert f.read().strip() == roots[2]

        # The second rollback made generation 3's root current again. Pin
        # generation 2 and keep only the current generation: 2 and 3 survive,
        # generation 1's own objects (10 ConfigMaps, the 10 Deployments and 10
        # Services whose node hashes follow them) are freed.
        run(env, "store", "pin", "demo@2")
        dry = run(env, "store", "gc", "--keep-generations", "1", "--dry-run").stdout
        assert dry.startswith("would delete"), dry
        run(env, "store", "ls", roots[0])  # a dry run deletes nothing
        gc = run(env, "store", "gc", "--keep-generations", "1").stdout
        assert gc.startswith("deleted "), gc
        words = gc.split()
        counts = {words[i + 1].rstrip(","): int(words[i]) for i in range(1, 9, 2)}
        assert counts == {"generations": 5, "roots": 1, "nodes": 30, "blobs": 10}, gc
        run(env, "store", "ls", roots[1])
        run(env, "store", "ls", roots[2])
        missing = run(env, "store", "ls", roots[0], expect=2)
        assert "no root" in missing.stderr, missing.stderr
        assert len(run(env, "store", "log", "demo").stdout.splitlines()) == 1
        verify = run(env, "store", "verify").stdout
        assert verify.strip().endswith("ok"), verify
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
