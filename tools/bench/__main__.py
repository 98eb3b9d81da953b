"""Run the bench: `python -m tools.bench --help`."""

from tools.bench.cli import main

raise SystemExit(main())
