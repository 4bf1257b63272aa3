"""The per-user cache directory: fetched alpaka headers and compiled sessions, keyed by content hash; listing
and clearing it (``python -m sofie_soa cache list|clear``)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


def cache_root() -> Path:
    """``$SOFIE_SOA_CACHE``, else ``$XDG_CACHE_HOME/sofie_soa``, else ``~/.cache/sofie_soa``."""
    explicit = os.environ.get("SOFIE_SOA_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sofie_soa"


@dataclass(frozen=True)
class CacheEntry:
    """One entry of the cache: a compiled session library (kind "build": ``builds/<key>/``, labelled with the
    model and back-end it was built for when known) or a fetched alpaka header tree (kind "alpaka"). `bytes`: its
    size on disk; `modified`: POSIX time of its last change (seconds)."""
    kind: str
    path: Path
    bytes: int
    modified: float
    label: str = ""


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _build_label(entry: Path) -> str:
    try:
        info = json.loads((entry / "info.json").read_text())
        return f"{info['label']} ({info['backend']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def entries(root: Path | None = None) -> list[CacheEntry]:
    """The cache's entries under `root` (default: cache_root()), builds first, each group oldest first.
    Temporaries of builds under way (``builds/.tmp-*``) are not entries."""
    root = cache_root() if root is None else root
    found = []
    for kind, folder in (("build", root / "builds"), ("alpaka", root / "alpaka")):
        if not folder.is_dir():
            continue
        group = [CacheEntry(kind, p, _size(p), p.stat().st_mtime, _build_label(p) if kind == "build" else "")
                 for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        found += sorted(group, key=lambda e: e.modified)
    return found


def clear(root: Path | None = None) -> list[CacheEntry]:
    """Removes every entry of entries(root) and returns them. Only those directories are removed: the cache root
    itself, anything else a user keeps there, and the temporaries of builds still running are left alone.
    Processes that already loaded a session library keep using it (the file is only unlinked)."""
    removed = entries(root)
    for entry in removed:
        shutil.rmtree(entry.path, ignore_errors=True)
    return removed
