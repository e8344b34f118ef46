"""Jinja2 templates that the code generator renders into Numba modules."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent

import hashlib
from functools import lru_cache

GENERATOR_REVISION = 2
"""Bump by hand when generated code changes meaning while the template text stays the same."""

MODULE_TEMPLATE = "module.py.j2"


@lru_cache(maxsize=1)
def generator_version() -> str:
    """Return '<revision>.<hash of the module template>'; a module with another version is stale."""
    digest = hashlib.sha256((TEMPLATE_DIR / MODULE_TEMPLATE).read_bytes()).hexdigest()[:10]
    return f"{GENERATOR_REVISION}.{digest}"
