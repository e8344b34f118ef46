"""Jinja2 templates that the code generator renders into Numba modules."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
