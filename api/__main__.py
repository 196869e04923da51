"""`python -m api [--listen HOST:PORT]`."""

from api.cli import main

raise SystemExit(main())
