-- Execution bookkeeping of the engine: sliced parents and their schedules, and broker-held
-- exit legs.

-- Sliced parent orders (TWAP, VWAP, ICEBERG, ADAPTIVE): the parent as accepted and the slice
-- schedule the core computed for it, so an engine restart resumes the very same schedule.
-- Children are ordinary rows of `orders` whose client_order_id derives from the parent's and
-- the slice index; the parent's fills and state are aggregated from them, never stored twice.

CREATE TABLE order_schedules (
  -- The parent's engine order id.
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  -- The parent's client order id; unique with the orders' ids of the environment (the engine
  -- checks both tables before accepting one).
  client_order_id TEXT NOT NULL,
  cycle_id TEXT,
  decision_id TEXT,
  symbol TEXT NOT NULL,
  -- ExecutionTactic names: the one asked for and the one run (ADAPTIVE resolves to another).
  requested_tactic TEXT NOT NULL,
  tactic TEXT NOT NULL,
  -- RUNNING until every child is final; HALTED when a child was refused, CANCELED on request.
  status TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'HALTED', 'CANCELED')),
  -- The core's explanation of the schedule, and why it stopped early (HALTED / CANCELED).
  reason TEXT NOT NULL,
  halt_reason TEXT,
  -- The serialized cream.v1.SubmitOrderRequest of the parent.
  request BLOB NOT NULL,
  -- The serialized cream.v1.Order of the parent as accepted (side, resolved quantity).
  parent BLOB NOT NULL,
  -- JSON list of slices: index, quantity, release_at (UTC), release, pricing, limit_price.
  slices TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id),
  UNIQUE (environment, client_order_id)
);

CREATE INDEX order_schedules_environment_status ON order_schedules (environment, status);

-- Exit legs a broker created for an entry (a bracket's stop loss and take profit, an OTO's
-- stop). The legs themselves are rows of `orders`; this says which orders they are, so a
-- later reducing order on the symbol can cancel them first (the broker holds the shares for
-- them and would refuse the reduction otherwise).
CREATE TABLE order_exit_legs (
  -- The leg's engine order id.
  id TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('BACKTEST', 'PAPER', 'LIVE')),
  -- The entry it protects.
  entry_order_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (environment, id)
);

CREATE INDEX order_exit_legs_environment_symbol ON order_exit_legs (environment, symbol);
