-- The API's tables: cycles requested over HTTP (status `queued`, who asked, draft or active
-- config), login sessions, and the audit log of every HTTP mutation.

-- SQLite cannot change a CHECK constraint in place, so cycles is rebuilt with its data.
-- `started_at` becomes nullable: a queued cycle has not started yet; `requested_at` says
-- when it was asked for (for older rows, when they started).
CREATE TABLE cycles_new (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  trigger TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  requested_by TEXT NOT NULL DEFAULT 'system',
  use_draft INTEGER NOT NULL DEFAULT 0 CHECK (use_draft IN (0, 1)),
  started_at TEXT,
  finished_at TEXT,
  config_version INTEGER NOT NULL,
  symbols TEXT NOT NULL,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  cost_usd TEXT NOT NULL DEFAULT '0',
  wall_ms INTEGER,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

INSERT INTO cycles_new (id, environment, status, trigger, requested_at, requested_by, use_draft,
  started_at, finished_at, config_version, symbols, tokens_used, cost_usd, wall_ms, error,
  created_at, updated_at)
SELECT id, environment, status, trigger, started_at, 'system', 0, started_at, finished_at,
  config_version, symbols, tokens_used, cost_usd, wall_ms, error, created_at, updated_at
FROM cycles;

DROP TABLE cycles;

ALTER TABLE cycles_new RENAME TO cycles;

CREATE INDEX cycles_environment_requested ON cycles (environment, requested_at);
CREATE INDEX cycles_environment_status ON cycles (environment, status);

-- The stage progress of one cycle is read from its events.
CREATE INDEX outbox_environment_cycle ON outbox (environment, cycle_id, seq);

-- Dashboard login sessions. Only sha256 digests of the session and CSRF tokens are stored,
-- so a copy of the database cannot be replayed as a login.
CREATE TABLE api_sessions (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  csrf_digest TEXT NOT NULL,
  actor TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

-- One row per HTTP mutation, written in the mutation's own transaction. Config changes are
-- audited by config_audit in the ConfigService's transaction; this table covers the rest
-- (cycle triggers, logins, logouts).
CREATE TABLE audit_log (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  correlation_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX audit_log_environment_created ON audit_log (environment, created_at);
