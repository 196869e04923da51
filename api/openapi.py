"""`python -m api.openapi`: print the OpenAPI schema (the dashboard generates its client)."""

from __future__ import annotations

import json
import sys

from api.main import create_app
from cream.settings import Settings


def schema() -> dict[str, object]:
    """The API's OpenAPI document (no database or engine needed)."""
    settings = Settings(cream_api_token="schema-only-token")  # noqa: S106 - never served
    return create_app(settings).openapi()


def main() -> int:
    """Prints the schema as sorted, indented JSON."""
    json.dump(schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
