"""The Alpaca brokerage behind the BrokerPort: REST, trade_updates stream, reconciliation."""
