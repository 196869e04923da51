"""LLM providers and the eight agent roles (prompts, schemas, tools)."""
