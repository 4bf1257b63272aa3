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

# Flags of the C++ front end, and of the host compiler (through -Xcompiler under nvcc). -march=native: sessions
# are compiled on the machine that runs them. All flags are part of the cache key.
LANGUAGE_FLAGS = ("-std=c++17", "-O3", "-shared")
HOST_FLAGS = ("-march=native", "-fPIC", "-fvisibility=hidden")


class BuildError(RuntimeError):
    """The C++ compiler failed; the message holds its diagnostics."""


def compiler(backend: Backend) -> str:
    """$CUDACXX or nvcc for CUDA back-ends, else $CXX or c++. BuildError when nvcc is not found."""
    if backend.cuda:
        nvcc = os.environ.get("CUDACXX") or shutil.which("nvcc")
        if not nvcc:
            raise BuildError(f"the {backend.name} back-end needs nvcc (set CUDACXX or put nvcc on PATH)")
        return nvcc
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or "c++"


def _cuda_root(nvcc: str) -> Path:
    """The CUDA install nvcc belongs to (nvcc is <root>/bin/nvcc, possibly behind a symbolic link)."""
    return Path(shutil.which(nvcc) or nvcc).resolve().parents[1]


def _wheel_file(distribution: str, name: str) -> Path | None:
    """The file called `name` in an installed PyPI distribution (nvidia-curand, nvidia-cublas), or None."""
    try:
        from importlib.metadata import files
        return Path(next(f for f in files(distribution) or [] if f.name == name).locate())
    except Exception:  # noqa: BLE001 — not installed, or an unexpected layout
        return None


def curand_include(nvcc: str) -> list[str]:
    """alpaka's CUDA back-end includes curand_kernel.h: from nvcc's CUDA install if it has it, else from the
    nvidia-curand wheel; [] when neither (the compiler then names the missing header)."""
    if (_cuda_root(nvcc) / "include" / "curand_kernel.h").is_file():
        return []
    header = _wheel_file("nvidia-curand", "curand_kernel.h")
    return [f"-I{header.parent}"] if header else []


def cublas_flags(nvcc: str) -> list[str]:
    """Flags that build sessions with cuBLAS for their large GEMMs (SOFIE_SOA_CUBLAS, runtime/gemm.hpp): nvcc's
    CUDA install if it has cuBLAS, else the nvidia-cublas wheel (linked by file, found at run time through an
    rpath); [] when neither, and GPU sessions then run large layers in the DenseKernel."""
    root = _cuda_root(nvcc)
    if (root / "include" / "cublas_v2.h").is_file():
        return ["-DSOFIE_SOA_CUBLAS", "-lcublas"]
    header = _wheel_file("nvidia-cublas", "cublas_v2.h")
    library = next(iter(sorted((header.parents[1] / "lib").glob("libcublas.so*"))), None) if header else None
    if library is None:
        log.warning("sofie_soa: no cuBLAS found (pip install nvidia-cublas): GPU sessions run large layers in "
                    "the DenseKernel")
        return []
    return ["-DSOFIE_SOA_CUBLAS", f"-I{header.parent}", f"-L{library.parent}", f"-l:{library.name}",
            f"-Xlinker=-rpath={library.parent}"]


def _flags(backend: Backend, cxx: str) -> list[str]:
    """Compiler flags for `backend` built by `cxx`."""
    includes = [f"-I{paths.include_dir()}", f"-I{alpaka_include_dir()}", f"-I{boost_include()}"]
    if backend.cuda:
        return ["-x", "cu", *LANGUAGE_FLAGS, "--expt-relaxed-constexpr", "--extended-lambda",
                f"-Xcompiler={','.join(HOST_FLAGS)}", *backend.flags, f"-D{backend.define}", *includes,
                *curand_include(cxx), *cublas_flags(cxx)]
    return [*LANGUAGE_FLAGS, *HOST_FLAGS, *backend.flags, f"-D{backend.define}", *includes]


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
    cxx = compiler(backend)
    flags = _flags(backend, cxx)
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
