"""The CUDA back-end. Where nvcc is present the CUDA path is compiled (sm_80 and sm_90) whether or not a GPU is;
tests that run on a GPU skip, saying so, where none is."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sofie_soa as ss

MODEL = Path(__file__).resolve().parents[2] / "examples" / "cmssw_like" / "track_classifier.onnx"
needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc to compile the CUDA back-end")


def _gpu_present() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


@needs_nvcc
def test_cuda_session_compiles_for_sm80_and_sm90():
    model = ss.compile(MODEL, "cuda")
    assert model.backend == "cuda" and model.input_names == ["features"]


@needs_nvcc
@pytest.mark.skipif(_gpu_present(), reason="checks the error raised where there is no GPU")
def test_cuda_queue_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no cuda queue on device 0"):
        ss.Queue("cuda")


def test_a_cuda_session_refuses_host_memory_before_calling_it():
    """The per-call checks (sofie_soa._core.Runner) run before the session's entry point: addresses 0 are never
    called."""
    runner = ss._core.Runner(["x"], ["y"], [4], [1], [-1], 2, 0, 0, 0, 0, None)
    x, y = np.zeros((5, 4), np.float32), np.zeros((5, 1), np.float32)
    with pytest.raises(ValueError, match="'x': the array is in CPU memory, the session runs on CUDA memory"):
        runner(x, y)
    soa = ss.SoA.allocate(ss.Layout([ss.column("a", "float32")]), 5)
    with pytest.raises(ValueError, match="the SoA view is in CPU memory, the session runs on CUDA memory"):
        runner(soa.tensor(["a"]), y)


@needs_nvcc
@pytest.mark.skipif(not _gpu_present(), reason="needs a CUDA GPU")
def test_cuda_inference_matches_cpu_on_host_visible_arrays():
    model, queue = ss.compile(MODEL, "cuda"), ss.Queue("cuda")
    torch = pytest.importorskip("torch", reason="device arrays come from PyTorch here")
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")
    x = torch.randn(1000, 8, device="cuda")
    y = torch.zeros(1000, 1, device="cuda")
    model.infer(x, queue, out=y)
    expected = ss.compile(MODEL, "cpu_serial").infer(x.cpu().numpy(), ss.Queue("cpu_serial"))
    np.testing.assert_allclose(y.cpu().numpy(), expected, rtol=1e-4, atol=1e-5)
