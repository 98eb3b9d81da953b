"""`python -m scripts.render_sim`: see scripts/render_sim/cli.py."""

from scripts.render_sim.cli import main

raise SystemExit(main())
