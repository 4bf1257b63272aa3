"""The sanitizer job (issue 13): the C++ tests, and generated sessions (dense layers, shape operators, a 3-D
dense output, conversions into integer columns, a broadcast chain), built with
`-fsanitize=address,undefined -fno-sanitize-recover=all` at -O2 -march=native and run; any report fails the
test. Sessions are built through SOFIE_SOA_CXXFLAGS (runtime/build.py) and run in a Python child process with
the AddressSanitizer runtime preloaded (Python itself is not instrumented; leak detection is off there because
the interpreter keeps its allocations at exit — the C++ tests run with it on)."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
REPORTS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def _runtime() -> str | None:
    """The path of libasan.so of the C++ compiler, or None when it cannot build and link a sanitized program."""
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not cxx:
        return None
    probe = subprocess.run([cxx, *SANITIZE.split(), "-x", "c++", "-", "-o", os.devnull], input="int main(){}",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    path = subprocess.run([cxx, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and Path(path).exists() else None


LIBASAN = _runtime()
pytestmark = pytest.mark.skipif(LIBASAN is None, reason="the C++ compiler has no AddressSanitizer/UBSan runtime")


def _clean(result) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == 0 and not any(r in text for r in REPORTS), text[-6000:]


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake to build the C++ tests")
def test_cpp_tests_are_clean_under_address_and_undefined_behaviour_sanitizers():
    from test_cpp import _cmake_build
    build = _cmake_build("-DSOFIE_SOA_TEST_STANDARDS=17", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                         f"-DCMAKE_CXX_FLAGS=-march=native {SANITIZE}")
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1"}
    _clean(subprocess.run(["ctest", "--output-on-failure"], cwd=build, capture_output=True, text=True, env=env))


CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import sofie_soa as ss
    from sofie_soa.runtime.model import compile_many
    sys.path.insert(0, sys.argv[1])
    from small_models import MODELS, shape_model
    names = list(MODELS) + ["shape_ops"]
    models = compile_many(list(MODELS.values()) + [shape_model()], "cpu_threads", names=names)
    rng = np.random.default_rng(0)
    results = {}
    for name, model in zip(names, models):
        for n in (1, 7, 100):
            info = model.inputs[0]
            shape = [n if d == "n" else d for d in info.shape]
            x = (rng.integers(-2**40, 2**40, shape) if info.dtype == "int64" else rng.normal(size=shape)).astype(info.dtype)
            got = model.infer(x, ss.Queue("cpu_threads"))
            results[f"{name}/{n}/x"] = x
            for k, v in (got.items() if isinstance(got, dict) else [(model.output_names[0], got)]):
                results[f"{name}/{n}/{k}"] = v
        if name == "identity":
            model.infer(np.full((9, 4), 1e9, np.float32), ss.Queue("cpu_threads"), out=np.zeros((9, 4), np.uint8),
                        cast="saturate")
    np.savez(sys.argv[2], **results)
""")


def test_generated_sessions_are_clean_under_sanitizers(tmp_path):
    """The sessions of test_conversions.py and test_shape_ops.py, sanitized, on cpu_threads at n = 1, 7, 100;
    their outputs then checked against onnxruntime here (outside the sanitized process)."""
    here = Path(__file__).parent / "runtime"
    env = {**os.environ, "SOFIE_SOA_CXXFLAGS": f"-O2 -g {SANITIZE}", "LD_PRELOAD": LIBASAN,
           "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1",
           "PYTHONPATH": os.pathsep.join([*filter(None, [os.environ.get("PYTHONPATH")])])}
    out = tmp_path / "results.npz"
    _clean(subprocess.run([sys.executable, "-c", CHILD, str(here), str(out)], capture_output=True, text=True,
                          env=env, timeout=1500))
    sys.path.insert(0, str(here))
    from small_models import MODELS, shape_model
    results = np.load(out)
    for name, data in [*MODELS.items(), ("shape_ops", shape_model())]:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        for n in (1, 7, 100):
            expected = session.run(None, {session.get_inputs()[0].name: results[f"{name}/{n}/x"]})
            for info, want in zip(session.get_outputs(), expected):
                np.testing.assert_allclose(results[f"{name}/{n}/{info.name}"], want, rtol=1e-4, atol=1e-5)
