"""`patches:` on an instance of a built-in package, through the real binary:
tolerations added to the immich machine-learning worker's Deployment by a
merge patch, a nodeSelector and an env entry by JSON patch operations (one
of them in a module), the result in the build output, `kix explain` naming
the definition line of every patched value, and the errors a patch that
targets nothing or fails gets."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from e2e_support import check, finish, kix  # noqa: E402

CLUSTER = """\
cluster: gpu-lab
modules: [gpu.yaml]
instances:
  immich:
    ml:
      package: immich-machine-learning
      patches:
        - resource: deployment
          merge:
            spec:
              template:
                spec:
                  tolerations:
                    - { key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }
"""

GPU_MODULE = """\
instances:
  immich:
    ml:
      patches:
        - resource: deployment
          jsonPatch:
            - { op: test, path: /spec/template/spec/containers/0/name, value: machine-learning }
            - { op: add, path: /spec/template/spec/nodeSelector, value: { gpu: "true" } }
            - op: add
              path: /spec/template/spec/containers/0/env/-
              value: { name: DEVICE, value: "${self.name}-cuda" }
"""


def write(root, name, text):
    path = os.path.join(root, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def read_yaml_text(path):
    with open(path) as f:
        return f.read()


with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, KIX_STORE=os.path.join(work, "store"), NO_COLOR="1")
    case = os.path.join(work, "case")
    os.makedirs(case)
    write(case, "cluster.yaml", CLUSTER)
    write(case, "gpu.yaml", GPU_MODULE)

    p = kix("build", case, "-o", os.path.join(work, "out"), env=env, expect=0)
    deployment = os.path.join(work, "out", "immich_Deployment_ml.yaml")
    check(os.path.exists(deployment), f"no {deployment}: {sorted(os.listdir(os.path.join(work, 'out')))}"
          if os.path.isdir(os.path.join(work, "out")) else "no output directory")
    if os.path.exists(deployment):
        text = read_yaml_text(deployment)
        for expected in ["key: nvidia.com/gpu", "effect: NoSchedule", "operator: Exists",
                         "gpu: \"true\"", "name: DEVICE", "value: ml-cuda",
                         "name: MACHINE_LEARNING_CACHE_FOLDER"]:
            check(expected in text, f"the patched Deployment lacks {expected!r}:\n{text}")

    p = kix("explain", case, "Deployment/ml", env=env, expect=0)
    out = p.stdout
    check("  values written by patches of the definition:\n" in out, f"explain has no patch section:\n{out}")
    check("    spec.template.spec.tolerations ← merge patch at " in out and "cluster.yaml:13:19\n" in out,
          f"explain does not name the tolerations' line:\n{out}")
    check("    spec.template.spec.nodeSelector ← JSON patch operation 1 (add) at " in out
          and "gpu.yaml:8:15\n" in out, f"explain does not name the module's operation:\n{out}")
    check("    spec.template.spec.containers[0].env ← JSON patch operation 2 (add) at " in out
          and "gpu.yaml:9:15\n" in out, f"explain does not name the env operation:\n{out}")

    # A patch that targets nothing: did you mean.
    write(case, "gpu.yaml", "instances: {}\n")
    write(case, "cluster.yaml", CLUSTER.replace("resource: deployment", "resource: deploymnet"))
    p = kix("build", case, env=env, expect=1)
    check("cluster.yaml:8:11: error: patch 0 of instance 'ml' targets resource 'deploymnet', which "
          "package 'immich-machine-learning' does not have\n" in p.stderr
          and "did you mean 'deployment'?" in p.stderr, f"unknown resource key:\n{p.stderr}")

    # A failing operation names its index and path, at its line.
    write(case, "cluster.yaml", CLUSTER.split("          merge:")[0] +
          "          jsonPatch:\n"
          "            - { op: add, path: /spec/template/spec/tolerations/0, value: { key: a } }\n")
    p = kix("build", case, env=env, expect=1)
    check("cluster.yaml:10:15: error: operation 0 (add /spec/template/spec/tolerations/0) of patch 0 "
          "of instance 'ml' failed on Deployment/ml: path '/spec/template/spec/tolerations' does not "
          "exist\n" in p.stderr, f"failing operation:\n{p.stderr}")

    # A schema violation in a patched value is reported at the patch.
    write(case, "cluster.yaml", CLUSTER.split("          merge:")[0] +
          "          merge: { spec: { replicas: two } }\n")
    p = kix("build", case, env=env, expect=1)
    check("cluster.yaml:9:" in p.stderr and "error: Deployment 'ml': " in p.stderr and "(written by a merge patch)" in p.stderr,
          f"schema violation in a patch:\n{p.stderr}")

sys.exit(finish())
