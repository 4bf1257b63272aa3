"""SoA buffers in CUDA memory, as far as they can be checked without a GPU: device names, wrapping CUDA
DLPack memory without a copy (a stand-in producer, dlpack_capsule.FakeCudaArray), and exports that keep the
device. Nothing here dereferences device memory; tests/runtime/test_cuda.py covers what needs nvcc or a GPU."""

import numpy as np
import pytest

import sofie_soa as ss
from dlpack_capsule import FakeCudaArray, read


def cuda_soa(layout, n, device_id=1):
    """An SoA wrapped over fake CUDA memory (host bytes flagged as CUDA), aligned as the layout asks."""
    raw = np.zeros(layout.byte_size(n) + layout.alignment, np.uint8)
    start = -raw.ctypes.data % layout.alignment
    fake = FakeCudaArray(raw[start:start + layout.byte_size(n)], device_id)
    return ss.SoA.wrap(fake, layout, n), fake


def test_device_names(example_layout):
    soa = ss.SoA.allocate(example_layout, 4)
    assert soa.device == "cpu" and soa.tensor(["x"]).device == "cpu"
    assert soa.tensor(["x"]).__dlpack_device__() == (1, 0)
    for bad in ("tpu:0", "cuda:x", "cuda:", "CUDA"):
        with pytest.raises(ValueError, match=f"unknown device '{bad}'"):
            ss.SoA.allocate(example_layout, 4, device=bad)


def test_wrapping_cuda_memory_keeps_its_device_and_addresses(example_layout):
    soa, fake = cuda_soa(example_layout, 10, device_id=1)
    assert soa.device == "cuda:1" and soa.address == fake.host.ctypes.data and not soa.owns_memory
    column = soa["x"]
    assert not isinstance(column, np.ndarray)                     # NumPy cannot hold device memory
    assert column.__dlpack_device__() == (2, 1)
    exported = read(column.__dlpack__())
    assert exported["device"] == (2, 1) and exported["data"] == soa.address and exported["shape"] == (10,)
    tensor = soa.tensor(["x"])
    assert tensor.device == "cuda:1" and tensor.__dlpack_device__() == (2, 1)
    capsule = read(tensor.__dlpack__(stream=0x1234))              # any stream: nothing of ours is pending
    assert capsule["device"] == (2, 1) and capsule["data"] == soa.address and capsule["shape"] == (10, 1)
    with pytest.raises(BufferError, match="stream must be an integer"):
        tensor.__dlpack__(stream="default")
    with pytest.raises(ValueError, match="scalar 's' is in cuda:1 memory"):
        soa.scalar("s")


def test_cpu_tensors_still_refuse_streams(example_layout):
    tensor = ss.SoA.allocate(example_layout, 3).tensor(["x"])
    with pytest.raises(BufferError, match="only None or -1 are valid on CPU"):
        tensor.__dlpack__(stream=5)
    assert read(tensor.__dlpack__(stream=-1))["device"] == (1, 0)


def test_out_of_range_device_numbers_are_clear_errors():
    """'cuda:99999999999' raised a bare IndexError from stoi."""
    layout = ss.Layout([ss.column("x", "float32")])
    for name in ("cuda:99999999999", "cuda:-1", "cuda:", "gpu"):
        with pytest.raises(ValueError, match=f"unknown device '{name}': use 'cpu', 'cuda' or 'cuda:N'"):
            ss.SoA.allocate(layout, 1, device=name)
    for device in (-1, 10**12, "0"):
        with pytest.raises(ValueError, match="device must be an integer in \\[0, 10000\\)"):
            ss.Queue("cpu_serial", device=device)
