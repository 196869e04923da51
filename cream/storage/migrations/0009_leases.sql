-- Worker coordination: cross-process leases (the database fallback of the Redis cycle lock)
-- and the record of every scheduled or requested job run (what /health reports, and how a
-- second worker knows a slot already ran).

CREATE TABLE leases (
  -- Row id (every table has one); the lease is found by its name.
  id TEXT NOT NULL DEFAULT (lower(hex(randomblob(16)))),
  -- The lease's name, e.g. "cycle"; one holder per (environment, name) at a time.
  name TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  -- Who holds it ("host:pid:suffix") and the random token that proves it.
  holder TEXT NOT NULL,
  token TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  -- Past this instant the lease is free for anyone (the holder died without releasing).
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, name)
);

CREATE TABLE job_runs (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  -- The schedule table's job name: trading_cycle, prediction_markets, filings, requested_cycle.
  job TEXT NOT NULL,
  -- What the run is for: the scheduled fire time, or the requesting event's id.
  run_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'skipped')),
  holder TEXT NOT NULL,
  cycle_id TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  -- JSON object: counts, source statuses, the reason of a skip or a failure.
  detail TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

-- One real run per slot; skipped attempts (another worker held the lock) are only a record.
CREATE UNIQUE INDEX job_runs_slot ON job_runs (environment, job, run_key) WHERE status != 'skipped';
CREATE INDEX job_runs_environment_job_started ON job_runs (environment, job, started_at);
