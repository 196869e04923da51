"""LangGraph graphs: the trading cycle, backtest replay and side workflows."""
