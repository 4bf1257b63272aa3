"""The README's C++ section is one program: its CMakeLists.txt and producer.cpp, taken from the README as they are,
configured with nothing but sofie_soa_DIR, built and run on a session emitted from a 3-feature model; the scores it
prints match onnxruntime on the same inputs."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(language: str, first_line: str | None = None) -> str:
    """The README's fenced ```language block in the C++ section (the one starting with `first_line`, if given)."""
    section = README.read_text().split("\n## C++\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    return next(b for b in blocks if first_line is None or b.startswith(first_line))


def _track_dnn(path: Path) -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal((3, 1)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.array([0.1], np.float32), "b")
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w", "b"], ["z"]),
                               helper.make_node("Sigmoid", ["z"], ["score"])], "track_dnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])], [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return model


def _cli(*args) -> str:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake to build the README's C++ program")
def test_the_readme_cpp_program_builds_and_runs(tmp_path):
    (tmp_path / "CMakeLists.txt").write_text(_block("cmake", "cmake_minimum_required"))
    (tmp_path / "producer.cpp").write_text(_block("cpp", "// producer.cpp"))
    model = _track_dnn(tmp_path / "track_dnn.onnx")
    _cli("emit", str(tmp_path / "track_dnn.onnx"), "-o", str(tmp_path / "generated" / "track_dnn.hpp"),
         "--name", "track_dnn")
    configure = subprocess.run(["cmake", "-S", tmp_path, "-B", tmp_path / "build",
                                f"-Dsofie_soa_DIR={_cli('--cmake-dir')}"], capture_output=True, text=True)
    assert configure.returncode == 0, configure.stdout[-3000:] + configure.stderr[-3000:]
    build = subprocess.run(["cmake", "--build", tmp_path / "build"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    run = subprocess.run([tmp_path / "build" / "my_producer"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    printed = np.array([float(v) for v in run.stdout.split()], np.float32)
    i = np.arange(10)
    x = np.stack([0.5 * i, 0.1 * i - 0.5, 4 + i % 8], axis=1).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0][:, 0]
    np.testing.assert_allclose(printed, want, rtol=1e-5, atol=1e-6)
