"""Market context: feeds, indicators, regimes, options and the trading universe."""
