#!/usr/bin/env python3
"""A registry that asks for credentials (Debian's docker-registry with an
htpasswd file): without credentials kix says which registry refused and how
to log in; with them in the Docker configuration (DOCKER_CONFIG, as every
OCI tool reads it) it answers the registry's Basic challenge, and no
credential appears in any output or in kix.lock."""

import base64
import json
import os
import sys
import tempfile

from e2e_support import CHARTS, OciRegistry, check, finish, kix, operator_package_from, tool

USER, PASSWORD = "kix-ci", "s3cret-pa55word"


def main():
    with tempfile.TemporaryDirectory() as tmp, OciRegistry(tmp, USER, PASSWORD) as registry:
        registry.push_chart(os.path.join(CHARTS, "cloudnative-pg-0.29.0.tgz"))
        work = os.path.join(tmp, "def")
        operator_package_from(work, f"oci://{registry.host}/charts")
        with open(os.path.join(work, "cluster.yaml"), "w") as f:
            f.write("cluster: auth\npackagePaths: [packages]\ninfrastructure:\n"
                    "  cnpg-operator: {package: cnpg-operator, namespace: cnpg-system}\n")
        docker = os.path.join(tmp, "docker")
        os.mkdir(docker)
        env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"), KIX_HELM=tool("helm"),
                   DOCKER_CONFIG=docker, HOME=tmp)

        # No credentials: refused, naming the registry and the way in.
        proc = kix("lock", work, env=env, expect=2)
        check(f"registry {registry.host} refused access to charts/cloudnative-pg (HTTP 401)" in proc.stderr
              and f"docker login {registry.host}" in proc.stderr, f"without credentials:\n{proc.stderr}")

        # Wrong ones: refused the same way, the password never echoed.
        auth = base64.b64encode(f"{USER}:wrong-password".encode()).decode()
        with open(os.path.join(docker, "config.json"), "w") as f:
            json.dump({"auths": {registry.host: {"auth": auth}}}, f)
        proc = kix("lock", work, env=env, expect=2)
        check("refused access" in proc.stderr and "wrong-password" not in proc.stderr, proc.stderr)

        # The right ones, as `docker login` writes them.
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        with open(os.path.join(docker, "config.json"), "w") as f:
            json.dump({"auths": {registry.host: {"auth": auth}}}, f)
        proc = kix("lock", work, env=env, expect=0)
        check(PASSWORD not in proc.stdout + proc.stderr, "the password was printed")
        with open(os.path.join(work, "kix.lock")) as f:
            lock = f.read()
        check(PASSWORD not in lock and USER not in lock, "credentials in kix.lock")
        check(json.loads(lock)["charts"][0]["name"] == "cloudnative-pg", lock)
        proc = kix("build", work, "-o", os.path.join(tmp, "out"), env=env, expect=0)
        check(PASSWORD not in proc.stdout + proc.stderr, "the password was printed")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
