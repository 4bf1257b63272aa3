"""Compiles a translation unit into a shared library, once: builds are cached by a content hash of the
source, every sofie_soa header, the compiler's identity, the flags and the alpaka headers' location."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sofie_soa import paths
from sofie_soa.runtime.alpaka_headers import alpaka_include_dir
from sofie_soa.runtime.backends import Backend
from sofie_soa.runtime.cache import cache_root

log = logging.getLogger("sofie_soa")

# -march=native: sessions are compiled on the machine that runs them (the flags are part of the cache key).
OPT_FLAGS = ("-std=c++17", "-O3", "-march=native", "-fPIC", "-shared", "-fvisibility=hidden")


class BuildError(RuntimeError):
    """The C++ compiler failed; the message holds its diagnostics."""


def compiler() -> str:
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or "c++"


@functools.lru_cache(maxsize=None)
def _toolchain_identity(cxx: str) -> str:
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True)
    return out.stdout


@functools.lru_cache(maxsize=None)
def _headers_digest() -> str:
    digest = hashlib.sha256()
    root = paths.include_dir()
    for header in sorted(root.rglob("*.hpp")):
        digest.update(str(header.relative_to(root)).encode())
        digest.update(header.read_bytes())
    return digest.hexdigest()


def boost_include() -> str:
    """Boost headers (alpaka includes Boost.Predef): $BOOST_ROOT/include if set, else the boost-headers wheel."""
    root = os.environ.get("BOOST_ROOT")
    if root:
        return str(Path(root) / "include")
    import boost_headers
    return str(boost_headers.get_include())


def build(source: str, backend: Backend, label: str, extra_files: dict[str, str] | None = None) -> Path:
    """Path of the shared library built from `source` (a C++ translation unit) for `backend`, compiling it
    only if no build with the same content hash exists. `extra_files` (name -> text) are written beside the
    source, e.g. the generated session header it includes."""
    cxx = compiler()
    alpaka = alpaka_include_dir()
    flags = [*OPT_FLAGS, *backend.flags, f"-D{backend.define}", f"-I{paths.include_dir()}", f"-I{alpaka}",
             f"-I{boost_include()}"]
    key = hashlib.sha256()
    for part in (source, *sorted((extra_files or {}).items()), _toolchain_identity(cxx), " ".join(flags),
                 _headers_digest()):
        key.update(str(part).encode())
    target = cache_root() / "builds" / key.hexdigest()[:24] / "session.so"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.warning("sofie_soa: compiling %s for %s (cached in %s)", label, backend.name, target.parent)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        unit = Path(tmp) / "entry.cpp"
        unit.write_text(source)
        for name, text in (extra_files or {}).items():
            (Path(tmp) / name).write_text(text)
        out = Path(tmp) / "session.so"
        result = subprocess.run([cxx, *flags, f"-I{tmp}", str(unit), "-o", str(out)], capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"compiling {label} for {backend.name} failed:\n{result.stderr[-4000:]}")
        os.replace(out, target)
    return target
