"""Headless core: never imports Qt (a test enforces it)."""
