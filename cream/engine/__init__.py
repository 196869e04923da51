"""The execution engine: gRPC servicers, the broker port and adapters, the core facade."""
