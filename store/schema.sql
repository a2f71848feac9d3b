-- kix store schema, version 1 (docs/store.md describes every table).
--
-- All hashes are stored as 32-byte BLOBs (SHA-256), never as hex, so that
-- keys are compact and a hex prefix becomes a range scan on the key.
-- Rows are only ever inserted by `kix store add` (and rollback, which adds
-- a generation); only `kix store gc` and `kix store verify --repair` delete.

-- The version of this schema. kix refuses a store whose version it does
-- not know, rather than misreading it.
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);

-- Manifests: the RFC 8785 canonical JSON of one Kubernetes resource,
-- zstd-compressed. hash = sha256(canonical bytes), raw_size = their length.
CREATE TABLE blobs (
  hash     BLOB PRIMARY KEY,
  raw_size INTEGER NOT NULL,
  data     BLOB NOT NULL
);

-- Merkle nodes: a blob plus the nodes it references (refs below).
-- hash = sha256(canonical({"v":1,"manifest":blob,"refs":[...]})).
-- The identity columns are copied from the manifest so that listing and
-- diffing never have to decompress a blob.
CREATE TABLE nodes (
  hash        BLOB PRIMARY KEY,
  blob        BLOB NOT NULL,
  api_version TEXT NOT NULL,
  kind        TEXT NOT NULL,
  namespace   TEXT NOT NULL,  -- '' for cluster-scoped resources
  name        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX nodes_by_blob ON nodes (blob);

-- Reference edges between nodes, with the reason the reference was
-- inferred ("spec.template.spec.volumes[0].persistentVolumeClaim").
CREATE TABLE refs (
  src    BLOB NOT NULL,
  dst    BLOB NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (src, dst)
) WITHOUT ROWID;
CREATE INDEX refs_by_dst ON refs (dst, src);

-- Roots: one whole build. nodes is the sorted list of its node hashes as
-- one BLOB of count * 32 bytes, so that loading (and diffing) a root of
-- 10,000 resources is one row read.
-- hash = sha256(canonical({"v":1,"cluster":cluster,"resources":[...]})).
CREATE TABLE roots (
  hash    BLOB PRIMARY KEY,
  cluster TEXT NOT NULL,      -- '' when added without --cluster
  count   INTEGER NOT NULL,
  nodes   BLOB NOT NULL
);

-- Per-cluster history. Numbers start at 1 and only grow; `kix store gc`
-- may delete old generations when asked to, never the current one.
CREATE TABLE generations (
  cluster         TEXT NOT NULL,
  number          INTEGER NOT NULL,
  root            BLOB NOT NULL,
  time            INTEGER NOT NULL,  -- unix seconds
  message         TEXT NOT NULL,
  source_revision TEXT NOT NULL,
  PRIMARY KEY (cluster, number)
);
CREATE INDEX generations_by_root ON generations (root);

-- What gc must keep in addition to generations: roots or single nodes.
CREATE TABLE pins (
  hash BLOB PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('root', 'node')),
  time INTEGER NOT NULL
);

INSERT INTO schema_version (version) VALUES (1);
