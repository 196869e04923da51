-- The outbox event log (seed 004): events appended in the business write's transaction,
-- consumers' offsets, and the inbox each consumer de-duplicates event ids with.

CREATE TABLE outbox (
  -- The log position. AUTOINCREMENT never reuses a number, even after retention deleted the
  -- newest rows, so a stored offset can never skip a later event. SQLite and sqld have one
  -- writer at a time, so positions become visible in order.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  kind TEXT NOT NULL CHECK (kind IN ('event', 'command')),
  type TEXT NOT NULL,
  version INTEGER NOT NULL,
  cycle_id TEXT NOT NULL DEFAULT '',
  correlation_id TEXT NOT NULL DEFAULT '',
  causation_id TEXT NOT NULL DEFAULT '',
  ts TEXT NOT NULL,
  producer TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  payload TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (environment, id)
);

CREATE INDEX outbox_environment_seq ON outbox (environment, seq);
CREATE INDEX outbox_created ON outbox (created_at);

CREATE TABLE consumer_offsets (
  -- The consumer's name, e.g. "engine.config".
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  position INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE TABLE consumer_inbox (
  -- The event id; a second insert of the same id aborts that consumer's batch.
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  consumer TEXT NOT NULL,
  seq INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, consumer, id)
);

CREATE INDEX consumer_inbox_created ON consumer_inbox (created_at);
