#!/usr/bin/env python3
"""The immich package's vector-extension checks follow Immich's versions:

- a VectorChord-only CloudNativePG database with an image older than
  Immich v1.133.0 (VectorChord support) is an error naming both versions,
  with the fix in the database package's own syntax;
- the same database with v1.133.0 builds; pgvecto.rs with v1.133.0 warns
  that Immich deprecated it;
- no vector extension: the seed's error, with cnpg-cluster's syntax.
"""

import os
import tempfile

from e2e_support import check, finish, kix

DEFINITION = """cluster: vc
availablePackages: [valkey]
infrastructure:
  cnpg-operator: {{ external: true, aliases: [cnpgOperator], out: {{ ready: cnpg-system/Deployment/cnpg }} }}
instances:
  immich:
    immich: {{ package: immich, config: {{ image: "ghcr.io/immich-app/immich-server:{tag}" }} }}
    library: {{ package: persistent-volume-claim, aliases: [storage], config: {{ size: 100Gi }} }}
    db:
      package: cnpg-cluster
      aliases: [postgres]
      config: {{ superuser: true, extensions: [{ext}], database: immich, owner: immich }}
"""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp)
    return finish()


def build(tmp, env, tag, ext, expect):
    d = os.path.join(tmp, f"{tag}-{ext or 'none'}")
    os.makedirs(d)
    with open(os.path.join(d, "cluster.yaml"), "w") as f:
        f.write(DEFINITION.format(tag=tag, ext=ext))
    return kix("build", d, "-o", os.path.join(d, "result"), env=env, expect=expect)


def run(tmp):
    env = dict(os.environ, KIX_STORE=os.path.join(tmp, "store"))
    err = build(tmp, env, "v1.131.1", "vchord", 1).stderr
    check("error: immich v1.131.1 predates VectorChord support (Immich v1.133.0), but the postgres\n"
          "       instance 'db' has only the 'vchord' extension." in err
          and "config: { extensions: [vectors] }" in err, err)
    proc = build(tmp, env, "v1.133.0", "vchord", 0)
    check("warning" not in proc.stderr, proc.stderr)
    err = build(tmp, env, "v1.134.0", "vectors", 0).stderr
    check("warning: immich v1.134.0 uses pgvecto.rs ('vectors') on postgres instance 'db'" in err
          and "config: { extensions: [vchord] }" in err, err)
    proc = build(tmp, env, "release", "vchord", 0)  # a tag without a version: not judged
    check("warning" not in proc.stderr, proc.stderr)
    err = build(tmp, env, "v1.131.1", "", 1).stderr
    check("error: immich requires the 'vectors' PostgreSQL extension (pgvecto.rs)" in err
          and "Add to your postgres config:\n       config: { extensions: [vectors] }" in err, err)


if __name__ == "__main__":
    raise SystemExit(main())
