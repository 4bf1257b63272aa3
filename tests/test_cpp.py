"""Builds the C++ tests (cpp/tests) against the installed CMake package — the SoA core, the caching allocator,
the kernels, and a session header emitted ahead of time by ``python -m sofie_soa emit`` — in C++17 and C++20,
runs them with CTest, and checks the C++ session's outputs against onnxruntime and its thread safety."""

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from sofie_soa import paths
from sofie_soa.runtime.cache import cache_root

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "models" / "track_mlp.onnx"
pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake to build the C++ tests")


def _cli(*args) -> str:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _cmake_build(*options: str, target: str | None = None) -> Path:
    """The C++ tests, with the session header emitted from MODEL, configured with `options` and built (all
    targets, or `target`) in a build directory of the user cache keyed by a content hash of everything the build
    reads: the test sources, the installed headers, the session header, the options and the tool versions. A
    finished build is reused."""
    with tempfile.TemporaryDirectory() as tmp:
        _cli("emit", str(MODEL), "-o", f"{tmp}/session.hpp", "--name", "session")
        header = Path(f"{tmp}/session.hpp").read_text()
    alpaka, boost = _cli("--alpaka-include-dirs").split(";")
    configure = [f"-Dsofie_soa_DIR={_cli('--cmake-dir')}", f"-DSOFIE_SOA_ALPAKA_INCLUDE_DIR={alpaka}",
                 f"-DSOFIE_SOA_BOOST_INCLUDE_DIR={boost}", "-DCMAKE_BUILD_TYPE=Release", *options]
    key = hashlib.sha256(" ".join([*configure, str(target), header]).encode())
    for root in (ROOT / "cpp" / "tests", paths.include_dir()):
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            key.update(str(f.relative_to(root)).encode() + f.read_bytes())
    for tool in ("cmake", "c++", "nvcc"):
        if shutil.which(tool):
            key.update(subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.encode())
    build = cache_root() / "cpp-tests" / key.hexdigest()[:24]
    if (build / "built").is_file():
        return build
    (build / "session").mkdir(parents=True, exist_ok=True)
    (build / "session" / "session.hpp").write_text(header)
    result = subprocess.run(["cmake", "-S", ROOT / "cpp" / "tests", "-B", build,
                             f"-DSESSION_HEADER_DIR={build / 'session'}", *configure], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    result = subprocess.run(["cmake", "--build", build, "-j2", *(["--target", target] if target else [])],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    (build / "built").touch()
    return build


@pytest.fixture(scope="module")
def build():
    return _cmake_build()


def test_cpp_unit_tests_pass_in_cxx17_and_cxx20(build):
    result = subprocess.run(["ctest", "--output-on-failure"], cwd=build, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # every cpp/tests/test_*.cpp program (layout, SoA view, caching allocator, the kernel families, ragged views,
    # session) x 2 standards: a program left out of CMakeLists.txt fails here
    programs = len(list((ROOT / "cpp" / "tests").glob("test_*.cpp")))
    assert re.search(rf"100% tests passed.* out of {2 * programs}\b", result.stdout), result.stdout


def _tracks(n: int) -> np.ndarray:
    """The gathered [n, 6] features test_session.cpp fills its SoA with (pt, eta, nHits, phi, state[0..1])."""
    i = np.arange(n, dtype=np.int64)
    value = lambda f: ((i * 37 + f * 11) % 101) / 50.0 - 1.0  # noqa: E731
    return np.stack([value(0), value(1), (i * 7 + 3) % 15, value(3), value(4), value(5)], axis=1).astype(np.float32)


@pytest.mark.parametrize("std", [17, 20])
def test_emitted_header_matches_onnxruntime_on_an_soa_buffer(build, std):
    import onnxruntime as ort
    n = 1000
    out = subprocess.run([build / f"test_session_cxx{std}", "infer", str(n)], check=True, capture_output=True,
                         text=True).stdout
    got = np.array([[float(v) for v in line.split()] for line in out.splitlines()], dtype=np.float32)
    reference = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"]).run(None, {"features": _tracks(n)})[0]
    assert got.shape == reference.shape
    np.testing.assert_allclose(got, reference, rtol=1e-4, atol=1e-5)


def test_one_session_from_8_threads_is_bitwise_equal_to_serial_runs(build):
    result = subprocess.run([build / "test_session_cxx17", "stress", "8", "1000"], capture_output=True, text=True)
    assert result.returncode == 0 and " 0 mismatches" in result.stdout, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc to build the CUDA variant")
def test_emitted_header_builds_for_cuda_through_the_cmake_option():
    """find_package(sofie_soa) with SOFIE_SOA_CUDA=ON builds the emitted header for alpaka's CUDA back-end
    (sm_80, sm_90), with cuBLAS from SOFIE_SOA_CUBLAS_ROOT; the program runs the session on device SoA memory
    and checks the cuBLAS GEMM where there is a GPU, else says so."""
    build = _cmake_build("-DSOFIE_SOA_CUDA=ON", "-DSOFIE_SOA_TEST_STANDARDS=17",
                         f"-DSOFIE_SOA_CURAND_INCLUDE_DIR={_cli('--curand-include-dir')}",
                         f"-DSOFIE_SOA_CUBLAS_ROOT={_cli('--cublas-root')}", target="test_session_cuda_cxx17")
    ran = subprocess.run([build / "test_session_cuda_cxx17"], capture_output=True, text=True)
    assert ran.returncode == 0 and re.fullmatch(r"first output \S+\ngemm \(cuBLAS\) max abs error \S+|no CUDA GPU: .+",
                                                ran.stdout.strip()), ran.stdout
    assert "SOFIE_SOA_CUBLAS" in (build / "CMakeFiles" / "test_session_cuda_cxx17.dir" / "flags.make").read_text()


def test_cli_prints_cmake_dir_holding_the_package_config():
    cmake_dir = Path(_cli("--cmake-dir"))
    assert (cmake_dir / "sofie_soaConfig.cmake").is_file()
    assert (cmake_dir / "sofie_soaTargets.cmake").is_file()
    assert (paths.include_dir() / "sofie_soa" / "core.hpp").is_file()
