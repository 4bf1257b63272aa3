"""benchmarks/gpu.py: on the CPU here (host SoA, PyTorch on the CPU), and on a GPU where there is one. Its three
ways (in place, copy pipeline, PyTorch) must agree on every score before anything is timed."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import gpu  # noqa: E402


def _check(rows, sizes, out: Path):
    assert [r["n"] for r in rows] == sizes
    assert all(r["max_score_difference"] < 1e-5 for r in rows), rows
    assert all(r[f"{way}_ms"] > 0 for r in rows for way in ("in_place", "copy_pipeline", "pytorch"))
    assert json.loads((out / "gpu.json").read_text()) == rows
    assert (out / "gpu.png").stat().st_size > 0


def test_gpu_benchmark_runs_on_the_cpu_and_its_ways_agree(tmp_path):
    rows = gpu.main(["--device", "cpu", "--sizes", "100", "3000", "--repeats", "1", "--out", str(tmp_path)])
    _check(rows, [100, 3000], tmp_path)


def test_gpu_benchmark_on_a_cuda_gpu(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU (and PyTorch built with CUDA)")
    rows = gpu.main(["--device", "cuda:0", "--sizes", "100", "100000", "--repeats", "3", "--out", str(tmp_path)])
    _check(rows, [100, 100000], tmp_path)
