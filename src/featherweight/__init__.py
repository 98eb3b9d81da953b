"""Featherweight: streaming speech-to-text engines and audio utilities."""
