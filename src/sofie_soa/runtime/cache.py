"""The per-user cache directory: fetched alpaka headers and compiled sessions, keyed by content hash."""

import os
from pathlib import Path


def cache_root() -> Path:
    """``$SOFIE_SOA_CACHE``, else ``$XDG_CACHE_HOME/sofie_soa``, else ``~/.cache/sofie_soa``."""
    explicit = os.environ.get("SOFIE_SOA_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sofie_soa"
