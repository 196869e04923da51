-- Config governance: versioned config documents and their audit trail.
-- The document (JSON) holds seed 000's trading_config and universe_configs content together
-- with the risk constraints and the agent settings, so one version number covers all of it.

CREATE TABLE config_versions (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  -- Assigned when the version becomes active, so active versions number 1, 2, 3, ... in the
  -- order they went live; a draft has none yet.
  version INTEGER,
  status TEXT NOT NULL CHECK (status IN ('draft', 'validated', 'active', 'archived')),
  document TEXT NOT NULL,
  -- sha256 of the canonical document JSON: equal content, equal hash, in every environment.
  content_hash TEXT NOT NULL,
  -- The active version the draft started from, or the version a rollback re-activated.
  parent_version INTEGER,
  created_by TEXT NOT NULL,
  validated_at TEXT,
  activated_at TEXT,
  activated_by TEXT,
  archived_at TEXT,
  note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, version),
  CHECK ((status IN ('draft', 'validated')) = (version IS NULL))
);

-- At most one active version and one draft per environment, whatever the application does.
CREATE UNIQUE INDEX config_versions_one_active ON config_versions (environment)
  WHERE status = 'active';
CREATE UNIQUE INDEX config_versions_one_draft ON config_versions (environment)
  WHERE status IN ('draft', 'validated');
CREATE INDEX config_versions_environment_hash ON config_versions (environment, content_hash);

CREATE TABLE config_audit (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  action TEXT NOT NULL CHECK (action IN ('seed', 'draft', 'validate', 'promote', 'rollback', 'discard')),
  -- The config_versions row acted on; NOT NULL is also the guard that aborts a promotion
  -- whose preconditions no longer hold (see cream/storage/config_versions.py).
  config_id TEXT NOT NULL,
  version INTEGER,
  from_version INTEGER,
  actor TEXT NOT NULL,
  -- JSON array of {key, old, new} against the version that was active before.
  diff TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX config_audit_environment_created ON config_audit (environment, created_at);
