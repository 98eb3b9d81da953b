"""Deployment tooling: each module is a script with `main(argv) -> int`, run as `python -m scripts.<name>`."""
