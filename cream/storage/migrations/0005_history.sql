-- Tables whose repositories arrive with their users: position snapshots, regime labels,
-- case memory and backtests.

CREATE TABLE position_snapshots (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  cycle_id TEXT,
  as_of TEXT NOT NULL,
  symbol TEXT NOT NULL,
  instrument_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  avg_entry_price TEXT,
  market_price TEXT,
  market_value TEXT,
  unrealized_pnl TEXT,
  -- The serialized cream.v1.Position.
  payload BLOB,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX position_snapshots_environment_as_of ON position_snapshots (environment, as_of);

CREATE TABLE regime_labels (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  symbol TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  regime TEXT NOT NULL,
  confidence TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, symbol, timestamp, timeframe)
);

CREATE TABLE memory_cases (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  cycle_id TEXT,
  decision_id TEXT,
  symbol TEXT NOT NULL,
  -- JSON array of floats: the situation the decision was made in.
  situation_vector TEXT NOT NULL,
  situation TEXT NOT NULL DEFAULT '{}',
  decision TEXT NOT NULL,
  realized_outcome TEXT,
  realized_pnl TEXT,
  closed_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX memory_cases_environment_symbol ON memory_cases (environment, symbol, created_at);

CREATE TABLE backtests (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  config_version INTEGER,
  strategy TEXT NOT NULL,
  symbols TEXT NOT NULL,
  start_at TEXT NOT NULL,
  end_at TEXT NOT NULL,
  parameters TEXT NOT NULL DEFAULT '{}',
  metrics TEXT NOT NULL DEFAULT '{}',
  error TEXT,
  started_at TEXT,
  finished_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX backtests_environment_created ON backtests (environment, created_at);
