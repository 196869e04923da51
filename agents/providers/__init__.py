"""LLM providers behind one protocol: structured generation into a pydantic model."""
