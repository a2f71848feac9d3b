-- kix store schema, version 6 (docs/store.md describes every table).
--
-- This file creates a new store. An older store is brought to this version
-- by the upgrade steps in store/schema.cc, one version at a time, in one
-- transaction; docs/store.md lists what each version changed.
--
-- All hashes are stored as 32-byte BLOBs (SHA-256), never as hex, so that
-- keys are compact and a hex prefix becomes a range scan on the key.
-- Rows are only ever inserted by `kix store add` (and rollback, which adds
-- a generation); only `kix store gc` and `kix store verify --repair` delete.

-- What makes the file a kix store: SQLite's application id ('kixs') in
-- the database header, which file(1) and kix read without running a query.
PRAGMA application_id = 1802074227;

-- The version of this schema. kix upgrades an older store and refuses a
-- newer one, rather than misreading it.
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);

-- Manifests: the RFC 8785 canonical JSON of one Kubernetes resource,
-- zstd-compressed. hash = sha256(canonical bytes), raw_size = their length,
-- dict = the dictionaries.id it was compressed with (0: none).
CREATE TABLE blobs (
  hash     BLOB PRIMARY KEY,
  raw_size INTEGER NOT NULL,
  data     BLOB NOT NULL,
  dict     INTEGER NOT NULL DEFAULT 0
);

-- Merkle nodes: a blob plus the nodes it references (refs below).
-- hash = sha256(canonical({"v":1,"manifest":blob,"refs":[...]})).
-- id is the store's own number for the node: refs name nodes by it, so an
-- edge costs a few bytes instead of two 32-byte hashes. It never leaves
-- the store (exports, archives and registries carry hashes) and means
-- nothing in another store. AUTOINCREMENT: a number is never given twice,
-- so an edge a damaged store kept can never point at a later node.
-- The identity columns are copied from the manifest so that listing and
-- diffing never have to decompress a blob.
CREATE TABLE nodes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  hash        BLOB NOT NULL UNIQUE,
  blob        BLOB NOT NULL,
  api_version TEXT NOT NULL,
  kind        TEXT NOT NULL,
  namespace   TEXT NOT NULL,  -- '' for cluster-scoped resources
  name        TEXT NOT NULL
);

-- The reasons references were inferred for
-- ("spec.template.spec.volumes[0].persistentVolumeClaim"), each kept once:
-- a store has a few dozen of them and every edge names one.
CREATE TABLE reasons (
  id     INTEGER PRIMARY KEY,
  reason TEXT NOT NULL UNIQUE
);

-- Reference edges between nodes (nodes.id), with the reason (reasons.id)
-- the reference was inferred. STRICT: a kix of format 5 still running
-- when another upgraded the store fails to insert its hash-keyed edges
-- instead of storing them here.
CREATE TABLE refs (
  src    INTEGER NOT NULL,
  dst    INTEGER NOT NULL,
  reason INTEGER NOT NULL,
  PRIMARY KEY (src, dst)
) STRICT, WITHOUT ROWID;
CREATE INDEX refs_by_dst ON refs (dst, src);

-- Roots: one whole build. nodes is the sorted list of its node hashes as
-- one BLOB of count * 32 bytes, so that loading (and diffing) a root of
-- 10,000 resources is one row read. With a base, nodes is instead a delta
-- against the node list of root `base` (docs/store.md, "Root deltas").
-- hash = sha256(canonical({"v":1,"cluster":cluster,"resources":[...]})).
CREATE TABLE roots (
  hash    BLOB PRIMARY KEY,
  cluster TEXT NOT NULL,      -- '' when added without --cluster
  count   INTEGER NOT NULL,
  nodes   BLOB NOT NULL,
  base    BLOB                -- NULL: nodes is the full list
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

INSERT INTO schema_version (version) VALUES (6);

-- dictionaries: zstd dictionaries trained on the store's own manifests
-- (docs/store.md, "Compression"). Never changed once written; a blob names
-- the one it needs in blobs.dict.
CREATE TABLE dictionaries (
  id   INTEGER PRIMARY KEY,  -- 1, 2, ...; 0 means "no dictionary"
  data BLOB NOT NULL
);

-- Deployments: every successful `kix deploy`, in the order recorded (id).
-- root must be a stored root; generation is the number of the newest
-- generation of the cluster with that root at the time (NULL when the root
-- is no generation of the cluster). `kix store log` marks the generation of
-- the last deployment.
CREATE TABLE deployments (
  id         INTEGER PRIMARY KEY,
  cluster    TEXT NOT NULL,
  root       BLOB NOT NULL,
  time       INTEGER NOT NULL,  -- unix seconds
  context    TEXT NOT NULL,     -- kubectl context, '' for its current one
  generation INTEGER
);
CREATE INDEX deployments_by_cluster ON deployments (cluster, id);

-- Deployments that stopped part-way (a wave or a prune failed): how many of
-- the root's waves were applied. A deployment without a row here applied
-- every wave.
CREATE TABLE partial_deployments (
  id            INTEGER PRIMARY KEY,  -- deployments.id
  waves_applied INTEGER NOT NULL,
  waves_total   INTEGER NOT NULL
);

-- The values of Secrets, sealed (docs/secrets.md): a Secret's blob is its
-- hash form, each value replaced by its HMAC under the secret key; its
-- values are here, as one AES-256-GCM envelope bound to the blob hash.
-- legacy = 1: a Secret kix 0.1.0 stored in plaintext, sealed when the store
-- was upgraded to version 3; its blob hash is the plaintext's, so only a
-- key holder can check it.
CREATE TABLE secrets (
  blob   BLOB PRIMARY KEY,
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  legacy INTEGER NOT NULL DEFAULT 0
);

-- Sources (manifest/source_cache.h): inputs a build read besides its
-- definition, such as Helm chart archives, as their exact bytes (already
-- compressed: kept as they are). hash = sha256(data), the digest kix.lock
-- records. kind: 'helm-chart'; name: what it is, for listings.
CREATE TABLE sources (
  hash BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  data BLOB NOT NULL
);

-- Which sources each root was built from: gc keeps a source while it keeps
-- a root that used it.
CREATE TABLE root_sources (
  root   BLOB NOT NULL,
  source BLOB NOT NULL,
  PRIMARY KEY (root, source)
) WITHOUT ROWID;
CREATE INDEX root_sources_by_source ON root_sources (source);
