-- The equity curve: account snapshots the worker takes from the engine every few minutes while
-- the session is open and right after each cycle it runs. Money is decimal text, exactly as
-- the engine reported it; `time` is when the engine valued the account (UTC ISO text).

CREATE TABLE equity_snapshots (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  time TEXT NOT NULL,
  equity TEXT NOT NULL,
  cash TEXT NOT NULL,
  buying_power TEXT NOT NULL,
  -- What took it: `schedule` (the worker's timer) or `cycle` (right after a cycle).
  source TEXT NOT NULL CHECK (source IN ('schedule', 'cycle')),
  -- The cycle a `cycle` snapshot followed; NULL for scheduled ones.
  cycle_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX equity_snapshots_environment_time ON equity_snapshots (environment, time);
