"""Deployment tooling: one script per module, each with `main(argv) -> int`.

Run them as `python -m scripts.<name>`, or through the Makefile's targets.
"""
