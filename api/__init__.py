"""FastAPI application: REST routes, WebSocket channels and the dashboard's static files."""
