-- Trading cycles and what happened inside them: decisions, agent outputs, consensus rounds.
-- Conventions as in 0001: decimals are TEXT, JSON is TEXT, timestamps are UTC text ending
-- in Z, every row carries its environment and ids are unique per environment.

CREATE TABLE cycles (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  trigger TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  config_version INTEGER NOT NULL,
  -- JSON array of the symbols the cycle covered.
  symbols TEXT NOT NULL,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  cost_usd TEXT NOT NULL DEFAULT '0',
  wall_ms INTEGER,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX cycles_environment_started ON cycles (environment, started_at);
CREATE INDEX cycles_environment_status ON cycles (environment, status);

-- Seed 000 section 9 columns plus the lineage of ARCHITECTURE section 5.
CREATE TABLE decisions (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  cycle_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  action TEXT NOT NULL,
  direction TEXT NOT NULL,
  size TEXT NOT NULL,
  size_unit TEXT NOT NULL,
  entry_price TEXT,
  stop_price TEXT,
  target_price TEXT,
  status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected', 'executed', 'cancelled', 'no_trade')),
  strategy_family TEXT,
  time_horizon TEXT,
  rationale TEXT,
  bullish_factors TEXT NOT NULL DEFAULT '[]',
  bearish_factors TEXT NOT NULL DEFAULT '[]',
  -- 0..1 as a decimal string (the model's double, printed with repr).
  confidence_score TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  config_version INTEGER NOT NULL,
  model TEXT,
  prompt_hash TEXT,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  cost_usd TEXT NOT NULL DEFAULT '0',
  latency_ms INTEGER,
  snapshot_hash TEXT,
  reason_code TEXT,
  failed_step TEXT,
  -- The serialized cream.v1.Decision: the lossless source of truth; the columns index it.
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX decisions_environment_cycle ON decisions (environment, cycle_id);
CREATE INDEX decisions_environment_symbol ON decisions (environment, symbol, created_at);
CREATE INDEX decisions_environment_created ON decisions (environment, created_at);

CREATE TABLE agent_outputs (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  cycle_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  -- Empty for agents that see the whole plan (trader, risk manager, critic).
  symbol TEXT NOT NULL DEFAULT '',
  round INTEGER NOT NULL DEFAULT 0,
  output TEXT NOT NULL,
  model TEXT,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  cost_usd TEXT NOT NULL DEFAULT '0',
  latency_ms INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, cycle_id, agent, symbol, round)
);

CREATE TABLE consensus_rounds (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  cycle_id TEXT NOT NULL,
  round INTEGER NOT NULL CHECK (round >= 1),
  plan TEXT NOT NULL,
  verdicts TEXT NOT NULL,
  approved INTEGER NOT NULL CHECK (approved IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, cycle_id, round)
);
