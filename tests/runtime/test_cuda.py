"""The CUDA back-end. Where nvcc is present the CUDA path is compiled (sm_80 and sm_90) whether or not a GPU is;
tests that run on a GPU skip, saying so, where none is."""

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sofie_soa as ss

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from dlpack_capsule import FakeCudaArray  # noqa: E402

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
    runner = ss._core.Runner([("x", "float32", [-1, 4], 0, 4)], [("y", "float32", [-1, 1], 0, 1)], "cuda:0", None, 0, 0, 0, 0, None)
    x, y = np.zeros((5, 4), np.float32), np.zeros((5, 1), np.float32)
    with pytest.raises(ValueError, match="'x': the array is in CPU memory, the session runs on CUDA memory"):
        runner(x, y)
    soa = ss.SoA.allocate(ss.Layout([ss.column("a", "float32")]), 5)
    with pytest.raises(ValueError, match="the SoA view is in CPU memory, the session runs on CUDA memory"):
        runner(soa.tensor(["a"]), y)


def test_cuda_producers_are_ordered_on_the_queue_stream_and_devices_checked():
    """A CUDA array is imported with __dlpack__(stream=<the queue's stream>), so that its producer makes our
    stream wait for its pending work (DLPack's rule); then its device must be the queue's. A stand-in producer
    (no GPU here) records the stream; every check fails before the entry point (address 0) would be called."""
    stream = 0x7F00BEEF
    runner = ss._core.Runner([("x", "float32", [-1, 4], 0, 4)], [("y", "float32", [-1, 1], 0, 1)], "cuda:0", stream, 0, 0, 0, 0, None)
    x = FakeCudaArray(np.zeros((5, 4), np.float32), device_id=1)
    y = FakeCudaArray(np.zeros((5, 1), np.float32), device_id=0)
    with pytest.raises(ValueError, match="'x': the array is on cuda:1, the session's queue is on cuda:0"):
        runner(x, y)
    assert x.streams == [stream]
    soa = _device_soa(["a", "b", "c", "d"], device_id=2)
    with pytest.raises(ValueError, match="'x': the SoA view is on cuda:2, the session's queue is on cuda:0"):
        runner(soa.tensor(["a", "b", "c", "d"]), y)
    cpu_runner = ss._core.Runner([("x", "float32", [-1, 4], 0, 4)], [("y", "float32", [-1, 1], 0, 1)], "cpu", None, 0, 0, 0, 0, None)
    with pytest.raises(ValueError, match="the SoA view is in CUDA memory, the session runs on CPU memory"):
        cpu_runner(soa.tensor(["a", "b", "c", "d"]), np.zeros((5, 1), np.float32))
    with pytest.raises(ValueError, match="the array is in CUDA memory, the session runs on CPU memory"):
        cpu_runner(x, np.zeros((5, 1), np.float32))


@needs_nvcc
@pytest.mark.skipif(_gpu_present(), reason="checks the error raised where there is no GPU")
def test_cuda_soa_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no cuda queue on device 0"):
        ss.SoA.allocate(ss.Layout([ss.column("a", "float32")]), 10, device="cuda:0")


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


@needs_nvcc
@pytest.mark.skipif(not _gpu_present(), reason="needs a CUDA GPU")
def test_device_soa_in_place_shared_with_torch_and_ordered_after_its_stream():
    """On a GPU: an SoA allocated on the device is filled through torch views of its columns (no copy: same
    addresses), inferred in place without waiting, read back through DLPack on torch's stream (ordered by an
    event), and matches the CPU session; a torch input produced on another stream is ordered before inference
    by __dlpack__(stream=queue.cuda_stream)."""
    torch = pytest.importorskip("torch", reason="device arrays come from PyTorch here")
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")
    model, queue = ss.compile(MODEL, "cuda"), ss.Queue("cuda")
    names = [f"f{i}" for i in range(8)]
    layout = ss.Layout([ss.column(name, "float32") for name in names] + [ss.column("score", "float32")])
    n = 10_000
    soa = ss.SoA.allocate(layout, n, device="cuda:0")
    columns = [torch.from_dlpack(soa[name]) for name in names]
    assert soa.device == "cuda:0" and columns[0].data_ptr() == soa.address and columns[0].is_cuda
    x = torch.randn(n, 8, device="cuda")
    for i, column in enumerate(columns):
        column.copy_(x[:, i])
    torch.cuda.synchronize()
    model.infer(soa.tensor(names), queue, out=soa.tensor(["score"]))      # asynchronous: SoA views only
    score = torch.from_dlpack(soa.tensor(["score"]))    # torch's stream waits for the queue (an event)
    expected = ss.compile(MODEL, "cpu_serial").infer(x.cpu().numpy(), ss.Queue("cpu_serial"))
    np.testing.assert_allclose(score.cpu().numpy()[:, 0], expected[:, 0], rtol=1e-4, atol=1e-5)
    assert score.data_ptr() == soa.tensor(["score"]).features[0][2]
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        late = torch.randn(n, 8, device="cuda") * 2.0          # still pending on `side` when infer is called
        out = torch.zeros(n, 1, device="cuda")
        model.infer(late, queue, out=out)
    side.synchronize()
    expected = ss.compile(MODEL, "cpu_serial").infer(late.cpu().numpy(), ss.Queue("cpu_serial"))
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-4, atol=1e-5)


@needs_nvcc
@pytest.mark.skipif(not _gpu_present(), reason="needs a CUDA GPU")
def test_large_layers_through_cublas_match_the_cpu_session():
    """On a GPU: a model whose layers go to cuBLAS (codegen/blas_layers.py) matches its CPU session."""
    torch = pytest.importorskip("torch", reason="device arrays come from PyTorch here")
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from models import dense_mlp
    onnx_model = dense_mlp([256, 512, 512, 16]).SerializeToString()
    x = np.random.default_rng(0).normal(size=(3000, 256)).astype(np.float32)
    got = ss.compile(onnx_model, "cuda").infer(torch.from_numpy(x).cuda(), ss.Queue("cuda"))
    expected = ss.compile(onnx_model, "cpu_serial").infer(x, ss.Queue("cpu_serial"))
    np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-3, atol=1e-3)


class _StubQueue:
    """Stand-ins for a CUDA queue's C entry points (ctypes callbacks): nothing runs, every call is recorded."""
    INFER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                             ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t)
    WAIT = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
    ORDER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)

    def __init__(self, calls, order_error: bytes = b""):
        """order_error: when given, the order entry fails with this message, as CUDA errors are reported."""
        def order(queue, stream, error, size):
            calls.append(("order", queue, stream))
            ctypes.memmove(error, order_error + b"\0", min(len(order_error) + 1, size))
            return 1 if order_error else 0
        self.infer = self.INFER(lambda session, queue, *rest: calls.append(("infer", queue)) or 0)
        self.wait = self.WAIT(lambda queue: calls.append(("wait", queue)))
        self.order = self.ORDER(order)

    def runner(self, handle: int, stream: int):
        address = lambda f: ctypes.cast(f, ctypes.c_void_p).value  # noqa: E731
        return ss._core.Runner([("x", "float32", [-1, 2], 0, 2)], [("y", "float32", [-1, 1], 0, 1)], "cuda:0", stream, address(self.infer),
                               address(self.wait), 0, handle, None, address(self.order), self)


def _device_soa(names=("a", "b", "y"), device_id: int = 0, n: int = 5):
    """An SoA of float32 columns `names` over stand-in CUDA memory of device `device_id` (host memory, never
    dereferenced as device memory here)."""
    layout = ss.Layout([ss.column(name, "float32") for name in names])
    raw = np.zeros(layout.byte_size(n) + 128, np.uint8)
    start = -raw.ctypes.data % 128
    return ss.SoA.wrap(FakeCudaArray(raw[start:start + layout.byte_size(n)], device_id=device_id), layout, n)


def test_inference_on_device_soa_views_is_asynchronous_and_orders_their_next_users():
    """On CUDA, infer on device SoA views only does not wait. The SoA then orders every later user after that
    work: a DLPack consumer's stream (None: the legacy default stream, 1; -1: no ordering) and another queue's
    inference by an event, member views and the SoA's destruction by waiting. Anything else (here a CUDA array
    output) makes infer wait. Stand-in entry points record the calls; no GPU is needed."""
    calls = []
    stub = _StubQueue(calls)
    first, second = stub.runner(0x1001, 0x51), stub.runner(0x1002, 0x52)
    soa = _device_soa()
    first(soa.tensor(["a", "b"]), soa.tensor(["y"]))
    assert calls == [("infer", 0x1001)]
    soa.tensor(["y"]).__dlpack__(stream=0x77)
    soa.tensor(["y"]).__dlpack__(stream=None)
    soa.tensor(["y"]).__dlpack__(stream=-1)
    assert calls[1:] == [("order", 0x1001, 0x77), ("order", 0x1001, 1)]
    del calls[:]
    second(soa.tensor(["a", "b"]), soa.tensor(["y"]))
    assert calls == [("order", 0x1001, 0x52), ("infer", 0x1002)]
    del calls[:]
    first(soa.tensor(["a", "b"]), FakeCudaArray(np.zeros((5, 1), np.float32), device_id=0))
    assert calls == [("order", 0x1002, 0x51), ("infer", 0x1001), ("wait", 0x1001)]
    del calls[:]
    soa["a"]
    assert calls == [("wait", 0x1002)]
    soa["a"]
    assert calls == [("wait", 0x1002)]          # nothing pending any more
    del calls[:]
    first(soa.tensor(["a", "b"]), soa.tensor(["y"]))
    del soa
    assert calls == [("infer", 0x1001), ("wait", 0x1001)]


def test_a_failed_stream_ordering_is_an_error_and_nothing_is_enqueued():
    """When CUDA refuses the event record or wait (the order entry fails), __dlpack__ and the next queue's infer
    raise with CUDA's message, and that infer enqueues nothing."""
    calls = []
    stub = _StubQueue(calls, order_error=b"cudaStreamWaitEvent: invalid resource handle")
    soa = _device_soa()
    stub.runner(0x1001, 0x51)(soa.tensor(["a", "b"]), soa.tensor(["y"]))
    message = "ordering a CUDA stream after sofie_soa's queue failed: cudaStreamWaitEvent: invalid resource handle"
    with pytest.raises(RuntimeError, match=message):
        soa.tensor(["y"]).__dlpack__(stream=0x77)
    del calls[:]
    with pytest.raises(RuntimeError, match=message):
        stub.runner(0x1002, 0x52)(soa.tensor(["a", "b"]), soa.tensor(["y"]))
    assert calls == [("order", 0x1001, 0x52)]
