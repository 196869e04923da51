-- Broker reconciliation: each run (start-up, after a stream reconnect, periodic) and the
-- differences it found between the engine's orders and the broker's (the broker is the truth).

CREATE TABLE reconciliation_runs (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  broker TEXT NOT NULL,
  -- What started it: startup, reconnect, periodic.
  trigger TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  orders_checked INTEGER NOT NULL DEFAULT 0,
  differences INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX reconciliation_runs_environment_started ON reconciliation_runs (environment, started_at);

CREATE TABLE reconciliation_differences (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  run_id TEXT NOT NULL,
  -- MISSED_ACK, MISSED_FILL, MISSED_FINAL, NOT_AT_BROKER, UNKNOWN_BROKER_ORDER, POSITION_MISMATCH.
  kind TEXT NOT NULL,
  client_order_id TEXT,
  symbol TEXT,
  engine_value TEXT,
  broker_value TEXT,
  -- What the engine did about it (applied reports, alert only).
  resolution TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  FOREIGN KEY (environment, run_id) REFERENCES reconciliation_runs (environment, id)
);

CREATE INDEX reconciliation_differences_run ON reconciliation_differences (environment, run_id);
