"""Scheduler process: the declarative schedule table, jobs and the health server."""
