"""Compiles a translation unit into a shared library, once: builds are cached by a content hash of the
source, every sofie_soa header, the compiler's identity, the flags and the alpaka headers' location.

A cache entry is the directory ``builds/<key>/`` holding ``session.so``, ``manifest.json`` (its size in bytes
and sha256) and ``info.json`` (the label and back-end it was built for, shown by ``python -m sofie_soa cache
list``). It is built in a temporary directory beside it, then renamed into place in one step; an entry whose
library does not match its manifest (truncated, overwritten) is removed and rebuilt before anything loads it,
and one that fails to load is removed (runtime/queue.py load_library). Temporaries left by a killed build are removed
by the next build once their process is gone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from sofie_soa import paths
from sofie_soa.runtime.alpaka_headers import alpaka_include_dir
from sofie_soa.runtime.backends import Backend
from sofie_soa.runtime.cache import cache_root

from sofie_soa.runtime.log import logger as log

# Flags of the C++ front end, and of the host compiler (through -Xcompiler under nvcc). -march=native: sessions
# are compiled on the machine that runs them. -ffp-contract=fast: the dense tiles' `sum += x * w` becomes one
# fused multiply-add, as the scalar paths compute it explicitly (kernels/dense.hpp), whatever the compiler's
# default. All flags are part of the cache key.
LANGUAGE_FLAGS = ("-std=c++17", "-O3", "-shared")
HOST_FLAGS = ("-march=native", "-fPIC", "-fvisibility=hidden", "-ffp-contract=fast")


def extra_host_flags() -> list[str]:
    """$SOFIE_SOA_CXXFLAGS split like a shell would: host compiler flags appended to every session build (after
    the defaults, so -O2 there wins over -O3), e.g. the test suite's sanitizer build
    (`-fsanitize=address,undefined`). Part of the cache key like every flag."""
    import shlex
    return shlex.split(os.environ.get("SOFIE_SOA_CXXFLAGS", ""))


class BuildError(RuntimeError):
    """The C++ compiler is missing or failed, or what it built does not load; the message says which, with the
    compiler's diagnostics."""


_INSTALL_HINT = ("sessions are compiled at run time by a C++17 compiler: install one (Debian/Ubuntu: "
                 "apt-get install g++; conda: conda install gxx_linux-64) or set CXX to its path")


def compiler(backend: Backend) -> str:
    """The compiler's path: $CUDACXX or nvcc for CUDA back-ends, else $CXX, else the first of c++, g++, clang++ on
    PATH. BuildError saying what was looked for when none is found (or $CXX/$CUDACXX names no program)."""
    if backend.cuda:
        given = os.environ.get("CUDACXX")
        nvcc = shutil.which(given) if given else shutil.which("nvcc")
        if not nvcc:
            raise BuildError(f"the {backend.name} back-end needs nvcc: "
                             f"{f'CUDACXX={given} is not an executable' if given else 'no nvcc on PATH'} (install "
                             f"the CUDA toolkit, or set CUDACXX to nvcc's path)")
        return nvcc
    given = os.environ.get("CXX")
    if given:
        found = shutil.which(given)
        if not found:
            raise BuildError(f"CXX={given} is not an executable; {_INSTALL_HINT}")
        _check_links_cxx(found)
        return found
    for name in ("c++", "g++", "clang++"):
        found = shutil.which(name)
        if found:
            return found
    raise BuildError(f"no C++ compiler found (looked for $CXX, then c++, g++ and clang++ on PATH); {_INSTALL_HINT}")


@functools.lru_cache(maxsize=None)
def _check_links_cxx(cxx: str) -> None:
    """BuildError unless `cxx` links a C++ program (a C compiler such as gcc given as CXX compiles C++ but does
    not link the C++ runtime, so its libraries fail to load where nothing else has loaded libstdc++)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "probe.cpp"
        source.write_text("#include <stdexcept>\nint main() { try { throw std::runtime_error(\"x\"); } "
                          "catch (std::exception const&) {} return 0; }\n")
        result = subprocess.run([cxx, str(source), "-o", str(Path(tmp) / "probe")], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"CXX={cxx} does not link a C++ program; CXX must name a C++ compiler driver such as g++ or "
                         f"clang++, not a C compiler:\n{result.stderr[-1000:]}")


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
        log.warning("no cuBLAS found (pip install nvidia-cublas): GPU sessions run large layers in "
                    "the DenseKernel")
        return []
    return ["-DSOFIE_SOA_CUBLAS", f"-I{header.parent}", f"-L{library.parent}", f"-l:{library.name}",
            f"-Xlinker=-rpath={library.parent}"]


# Headers a CUDA build may lack, and the wheel that provides each (found by curand_include / cublas_flags).
_HEADER_WHEELS = {"curand_kernel.h": "nvidia-curand", "cublas_v2.h": "nvidia-cublas", "cublas_api.h": "nvidia-cublas"}


def missing_header_hint(diagnostics: str) -> str:
    """What to install when the compiler's `diagnostics` say that a header of _HEADER_WHEELS is missing: the
    exact ``pip install`` line (with the Python that runs sofie_soa), or "" when no such header is named."""
    import sys
    wheels = sorted({wheel for header, wheel in _HEADER_WHEELS.items()
                     if header in diagnostics and ("No such file" in diagnostics or "cannot open" in diagnostics
                                                   or "not found" in diagnostics)})
    if not wheels:
        return ""
    return (f"\nhint: the CUDA install lacks headers that alpaka's CUDA back-end needs; install them with\n"
            f"    {sys.executable} -m pip install {' '.join(wheels)}\n"
            f"(or use a CUDA toolkit that has them: CUDACXX=/path/to/cuda/bin/nvcc)")


def _flags(backend: Backend, cxx: str) -> list[str]:
    """Compiler flags for `backend` built by `cxx`."""
    includes = [f"-I{paths.include_dir()}", f"-I{alpaka_include_dir()}", f"-I{boost_include()}"]
    if backend.cuda:
        return ["-x", "cu", *LANGUAGE_FLAGS, "--expt-relaxed-constexpr", "--extended-lambda",
                f"-Xcompiler={','.join((*HOST_FLAGS, *extra_host_flags()))}", *backend.flags, f"-D{backend.define}", *includes,
                *curand_include(cxx), *cublas_flags(cxx)]
    return [*LANGUAGE_FLAGS, *HOST_FLAGS, *extra_host_flags(), *backend.flags, f"-D{backend.define}", *includes]


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


def _digest(path: Path) -> dict:
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _valid_entry(entry: Path) -> bool:
    """Whether the cache entry's library matches the manifest recorded when it was built."""
    try:
        manifest = json.loads((entry / "manifest.json").read_text())
        library = entry / "session.so"
        return library.stat().st_size == manifest["bytes"] and _digest(library) == manifest
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _clean_stale_temporaries(builds: Path) -> None:
    """Removes `.tmp-<pid>-...` build directories whose process no longer runs (a killed build)."""
    for tmp in builds.glob(".tmp-*"):
        try:
            pid = int(tmp.name.split("-")[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


def discard(library: Path) -> None:
    """Removes the cache entry of `library` (a path returned by build), e.g. after it failed to load."""
    shutil.rmtree(library.parent, ignore_errors=True)


def build(source: str, backend: Backend, label: str, extra_files: dict[str, str] | None = None) -> Path:
    """Path of the shared library built from `source` (a C++ translation unit) for `backend`, compiling it
    only if no valid build with the same content hash exists. `extra_files` (name -> text) are written beside the
    source, e.g. the generated session header it includes. Raises BuildError when no compiler is found, the
    compiler fails, or the library it made does not load (a C compiler given as CXX, say)."""
    cxx = compiler(backend)
    flags = _flags(backend, cxx)
    key = hashlib.sha256()
    for part in (source, *sorted((extra_files or {}).items()), _toolchain_identity(cxx), " ".join(flags),
                 _headers_digest()):
        key.update(str(part).encode())
    builds = cache_root() / "builds"
    entry = builds / key.hexdigest()[:24]
    if entry.is_dir():
        if _valid_entry(entry):
            return entry / "session.so"
        log.warning("cache entry %s does not match its manifest; rebuilding it", entry)
        discard(entry / "session.so")
    builds.mkdir(parents=True, exist_ok=True)
    _clean_stale_temporaries(builds)
    log.info("compiling %s for %s (cached in %s)", label, backend.name, entry)
    started = time.monotonic()
    tmp = builds / f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    tmp.mkdir()
    try:
        unit = tmp / "entry.cpp"
        unit.write_text(source)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text)
        out = tmp / "session.so"
        try:
            result = subprocess.run([cxx, *flags, f"-I{tmp}", str(unit), "-o", str(out)], capture_output=True,
                                    text=True)
        except OSError as err:
            raise BuildError(f"running the C++ compiler {cxx} failed ({err}); {_INSTALL_HINT}") from err
        if result.returncode != 0:
            raise BuildError(f"compiling {label} for {backend.name} failed:\n{result.stderr[-4000:]}"
                             f"{missing_header_hint(result.stderr)}")
        (tmp / "manifest.json").write_text(json.dumps(_digest(out)))
        (tmp / "info.json").write_text(json.dumps({"label": label, "backend": backend.name}))  # cache list
        try:
            os.rename(tmp, entry)
        except OSError:             # another process published the same entry first: use that one
            if not _valid_entry(entry):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("compiled %s for %s in %.1f s", label, backend.name, time.monotonic() - started)
    return entry / "session.so"
