"""The compiler's other definition errors, on their exact texts, through the
real binary: missing attribute, unknown package, dependency cycle, option
type error, module conflict, and `!default` resolving it.
"""
import os
import subprocess
import sys
import tempfile

KIX = os.environ["KIX"]
FAILURES = []


def check(condition, what, output=""):
    if not condition:
        FAILURES.append(what + ("\n--- output ---\n" + output if output else ""))


def build(files, extra_env=None):
    with tempfile.TemporaryDirectory() as case:
        for name, text in files.items():
            path = os.path.join(case, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        env = dict(os.environ, KIX_STORE=os.path.join(case, "store"), NO_COLOR="1")
        for k, v in (extra_env or {}).items():
            env[k] = v.replace("$CASE", case)
        p = subprocess.run([KIX, "build"], cwd=case, env=env, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr


SENTINEL = """\
package: sentinel-app
needs: [cache]
resources:
  config:
    manifest:
      apiVersion: v1
      kind: ConfigMap
      data:
        port: ${string(cache.out.sentinelPort)}
"""

code, out, err = build({
    "pkgs/sentinel-app/package.yaml": SENTINEL,
    "cluster.yaml": "cluster: c\npackagePaths: [./pkgs]\navailablePackages: [valkey]\n"
                    "instances:\n  app:\n    web: { package: sentinel-app, deps: { cache: valkey } }\n"
                    "    valkey: { package: valkey }\n",
})
check(code == 1, f"missing attribute: exit {code}", err)
check("error: attribute 'sentinelPort' missing at pkgs/sentinel-app/package.yaml:9 in: cache.out.sentinelPort\n" in err,
      "missing attribute: exact text", err)

code, out, err = build({"cluster.yaml": "cluster: c\ninstances:\n  app:\n    web:\n      package: immch\n"})
check(code == 1, f"unknown package: exit {code}", err)
check("cluster.yaml:5:16: error: unknown package 'immch' for instance 'web' in namespace 'app'\n"
      "  did you mean 'immich'?\n" in err, "unknown package: exact text", err)

code, out, err = build({
    "pkgs/loop/package.yaml": "package: loop\nneeds: [peer]\nout: { x: 1 }\n",
    "cluster.yaml": "cluster: c\npackagePaths: [./pkgs]\ninstances:\n  app:\n"
                    "    one: { package: loop, deps: { peer: two } }\n"
                    "    two: { package: loop, deps: { peer: three } }\n"
                    "    three: { package: loop, deps: { peer: one } }\n",
})
check(code == 1, f"cycle: exit {code}", err)
check("error: dependency cycle: app/one -> app/two -> app/three -> app/one\n" in err, "cycle: exact text", err)
check("app/two needs 'peer' (deps) at cluster.yaml:6" in err, "cycle: each step with its line", err)

code, out, err = build({"cluster.yaml": "cluster: c\ninstances:\n  app:\n    db:\n      package: stackgres-cluster\n"
                                         "      config: { instances: \"2\" }\n"})
check(code == 1, f"option type: exit {code}", err)
check("cluster.yaml:6:28: error: The option 'instances' is of type integer but a string was provided\n" in err,
      "option type: exact text", err)

conflict = {
    "cluster.yaml": "cluster: c\nmodules: [./other.yaml]\ninstances:\n  app:\n    data:\n"
                    "      package: persistent-volume-claim\n      config: { size: 20Gi }\n",
    "other.yaml": "instances:\n  app:\n    data:\n      config: { size: 30Gi }\n",
}
code, out, err = build(conflict)
check(code == 2, f"module conflict: exit {code}", err)
check("error: conflicting values for '/instances/app/data/config/size': \"20Gi\" at cluster.yaml:7:23 and "
      "\"30Gi\" at other.yaml:4:23\n" in err, "module conflict: both files and lines", err)
conflict["other.yaml"] = conflict["other.yaml"].replace("size: 30Gi", "size: !default 30Gi")
code, out, err = build(conflict)
check(code == 0, f"!default resolves the conflict: exit {code}", err)

code, out, err = build({
    "elsewhere/loop/package.yaml": "package: loop\noptionalNeeds: [peer]\nout: { x: 1 }\n",
    "cluster.yaml": "cluster: c\ninstances:\n  app:\n    one: { package: loop }\n",
}, {"KIX_PACKAGES_PATH": "/nonexistent:$CASE/elsewhere"})
check(code == 0, f"KIX_PACKAGES_PATH is searched: exit {code}", err)

code, out, err = build({"cluster.yaml": "cluster: c\ninstances:\n  app: [\n"})
check(code == 2 and "cluster.yaml:" in err, f"YAML syntax error: exit {code}, with file and line", err)

code, out, err = build({
    "pkgs/bad/package.yaml": "package: bad\nresources:\n  r:\n    manifest: { apiVersion: v1, kind: ConfigMap }\n    wehn: x\n",
    "cluster.yaml": "cluster: c\npackagePaths: [./pkgs]\ninstances:\n  app:\n    one: { package: bad }\n",
})
check(code == 2 and "pkgs/bad/package.yaml:5:11: error: unknown field 'wehn' in resource 'r'" in err
      and "did you mean 'when'?" in err, f"malformed package: exit {code}, file, line and suggestion", err)

code, out, err = build({"cluster.yaml": "cluster: c\ninstances: {}\n", "result/mine.txt": "keep me\n"})
check(code == 2 and "is not a kix result" in err and "mine.txt" in err, f"a foreign result directory is not replaced: exit {code}", err)

for f in FAILURES:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if FAILURES else 0)
