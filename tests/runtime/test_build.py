"""Where CUDA builds take cuBLAS from (sofie_soa.runtime.build.cublas_flags): nvcc's CUDA install, else the
nvidia-cublas wheel, else none (with a warning). Fake install trees; nothing is compiled."""

import logging

from sofie_soa.runtime import build


def _tree(root, *files):
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


def test_cuda_install_with_cublas_links_it_by_name(tmp_path):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc", "include/cublas_v2.h")
    assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == ["-DSOFIE_SOA_CUBLAS", "-lcublas"]


def test_the_wheel_is_linked_by_file_with_an_rpath(tmp_path, monkeypatch):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc")
    wheel = _tree(tmp_path / "wheel", "include/cublas_v2.h", "lib/libcublas.so.13", "lib/libcublasLt.so.13")
    monkeypatch.setattr(build, "_wheel_file", lambda dist, name: wheel / "include" / name
                        if (dist, name) == ("nvidia-cublas", "cublas_v2.h") else None)
    lib = wheel / "lib"
    assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == [
        "-DSOFIE_SOA_CUBLAS", f"-I{wheel / 'include'}", f"-L{lib}", "-l:libcublas.so.13", f"-Xlinker=-rpath={lib}"]


def test_without_cublas_sessions_build_without_it_and_say_so(tmp_path, monkeypatch, caplog):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc")
    monkeypatch.setattr(build, "_wheel_file", lambda dist, name: None)
    with caplog.at_level(logging.WARNING, logger="sofie_soa"):
        assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == []
    assert "no cuBLAS found (pip install nvidia-cublas)" in caplog.text


# The build cache and the toolchain (security and first-use findings). Each compiles one tiny translation unit.
import os
import subprocess
import sys

import pytest

from sofie_soa.runtime.backends import backend

_UNIT = 'extern "C" __attribute__((visibility("default"))) int sofie_answer() { return 42; }\n'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOFIE_SOA_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "builds"


def test_a_truncated_library_in_the_cache_is_rebuilt_not_loaded(cache):
    """Security finding: a truncated session.so crashed the next run with SIGBUS."""
    library = build.build(_UNIT, backend("cpu_serial"), "unit")
    assert (library.parent / "manifest.json").is_file()
    size = library.stat().st_size
    library.write_bytes(library.read_bytes()[: size // 2])
    rebuilt = build.build(_UNIT, backend("cpu_serial"), "unit")
    assert rebuilt == library and rebuilt.stat().st_size == size
    import ctypes
    assert ctypes.CDLL(str(rebuilt)).sofie_answer() == 42


def test_a_killed_build_leaves_no_temporary_behind_the_next_build(cache):
    """kill -9 during a compile: its temporary directory is removed once its process is gone."""
    stale = subprocess.Popen([sys.executable, "-c", "pass"])
    stale.wait()
    (cache / f".tmp-{stale.pid}-0123456789ab").mkdir(parents=True)
    (cache / f".tmp-{os.getpid()}-ba9876543210").mkdir()            # a live process's: kept
    build.build(_UNIT, backend("cpu_serial"), "unit")
    assert sorted(p.name for p in cache.glob(".tmp-*")) == [f".tmp-{os.getpid()}-ba9876543210"]


def test_a_missing_or_wrong_compiler_is_a_build_error_saying_what_was_looked_for(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    with pytest.raises(build.BuildError, match="CXX=/nonexistent/g\\+\\+ is not an executable; .*C\\+\\+17 compiler"):
        build.build(_UNIT, backend("cpu_serial"), "unit")
    monkeypatch.delenv("CXX")
    monkeypatch.setenv("PATH", str(tmp_path))                       # no compiler at all
    with pytest.raises(build.BuildError, match="no C\\+\\+ compiler found \\(looked for \\$CXX, then c\\+\\+, g\\+\\+"):
        build.build(_UNIT, backend("cpu_serial"), "unit")


@pytest.mark.skipif(not __import__("shutil").which("gcc"), reason="needs gcc to stand in for a C compiler as CXX")
def test_a_c_compiler_as_cxx_builds_nothing_that_is_cached(cache, monkeypatch):
    """CXX=gcc compiled a library that failed to load (undefined libstdc++ symbols) and cached it."""
    monkeypatch.setenv("CXX", "gcc")
    source = '#include <stdexcept>\nextern "C" int f() { try { throw std::runtime_error("x"); } catch (...) {} ' \
             'return 1; }\n'
    with pytest.raises(build.BuildError, match="does not link a C\\+\\+ program; CXX must name a C\\+\\+ compiler driver"):
        build.build(source, backend("cpu_serial"), "unit")
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.startswith(".tmp-")]


def test_a_missing_cuda_header_names_the_exact_pip_install(tmp_path):
    """Queue("cuda") without nvidia-curand failed on curand_kernel.h with no hint. Real diagnostics of the C++
    compiler for a missing header; each header names its wheel, unrelated errors get no hint."""
    import shutil
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("needs a C++ compiler for real diagnostics")
    diagnostics = {}
    for header in ("curand_kernel.h", "cublas_v2.h"):
        unit = tmp_path / f"{header}.cpp"
        unit.write_text(f"#include <{header}>\n")
        diagnostics[header] = subprocess.run([cxx, "-c", str(unit), "-o", str(tmp_path / "x.o")],
                                             capture_output=True, text=True).stderr
    assert f"{sys.executable} -m pip install nvidia-curand\n" in build.missing_header_hint(diagnostics["curand_kernel.h"])
    assert f"{sys.executable} -m pip install nvidia-cublas\n" in build.missing_header_hint(diagnostics["cublas_v2.h"])
    nvcc_style = 'catastrophic error: cannot open source file "curand_kernel.h"'
    assert "pip install nvidia-curand" in build.missing_header_hint(nvcc_style)
    assert build.missing_header_hint("error: 'x' was not declared in this scope") == ""
