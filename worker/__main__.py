"""`python -m worker [--listen HOST:PORT]`."""

import sys

from worker.cli import main

sys.exit(main(sys.argv[1:]))
