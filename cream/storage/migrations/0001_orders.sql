-- Orders and their fills.
-- Decimals (quantities, prices) are TEXT decimal strings, never REAL, so nothing is rounded.
-- Timestamps are UTC ISO-8601 text ending in Z (YYYY-MM-DDTHH:MM:SS.ffffffZ).
-- Every row carries its environment, and ids are unique per environment, so BACKTEST, PAPER
-- and LIVE rows never collide or mix even when a deterministic id generator repeats ids.

CREATE TABLE orders (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  client_order_id TEXT NOT NULL,
  broker_order_id TEXT,
  cycle_id TEXT,
  decision_id TEXT,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  order_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  limit_price TEXT,
  stop_price TEXT,
  status TEXT NOT NULL,
  cum_qty TEXT NOT NULL,
  avg_fill_price TEXT,
  config_version INTEGER NOT NULL,
  -- The serialized cream.v1.Order: the lossless source of truth; the columns above index it.
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, client_order_id)
);

CREATE INDEX orders_environment_status ON orders (environment, status);
CREATE INDEX orders_environment_symbol ON orders (environment, symbol, created_at);
CREATE INDEX orders_environment_created ON orders (environment, created_at);
CREATE INDEX orders_environment_broker_order ON orders (environment, broker_order_id);

CREATE TABLE fills (
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  order_id TEXT NOT NULL,
  -- The execution report's id: a replayed report adds no second fill.
  exec_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  quantity TEXT NOT NULL,
  price TEXT NOT NULL,
  ts TEXT NOT NULL,
  -- The serialized cream.v1.Fill.
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, order_id, exec_id),
  FOREIGN KEY (environment, order_id) REFERENCES orders (environment, id)
);
