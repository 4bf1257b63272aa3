"""DLPack export of SoA tensors and columns, and zero-copy round trips with NumPy and PyTorch (CPU)."""

import numpy as np
import pytest

import sofie_soa as ss

from dlpack_capsule import READ_ONLY, read

torch = pytest.importorskip("torch", reason="DLPack round trips with PyTorch need torch (CI installs torch==2.13.0)")


@pytest.fixture
def layout():
    return ss.Layout([ss.column("x", "float32"), ss.column("y", "float32"), ss.column("z", "int32"),
                      ss.eigen_column("v", "float32", (3, 1))])


def test_versioned_capsule_fills_strides_and_device(layout):
    soa = ss.SoA.allocate(layout, 10)
    t = soa.tensor(["x", "y"])
    info = read(t.__dlpack__(max_version=(1, 3)))
    assert info["name"] == "dltensor_versioned" and info["version"][0] == 1
    assert info["flags"] & READ_ONLY == 0
    assert info["data"] == soa.address and info["device"] == (1, 0) == t.__dlpack_device__()
    assert info["dtype"] == (2, 32) and info["shape"] == (10, 2) and info["strides"] == (1, 32)


def test_legacy_capsule_for_consumers_before_dlpack_1(layout):
    info = read(ss.SoA.allocate(layout, 10).tensor(["v"]).__dlpack__())
    assert info["name"] == "dltensor" and info["strides"] == (1, 32)


def test_read_only_soa_exports_read_only(layout):
    soa = ss.SoA.wrap(bytes(layout.byte_size(10)), layout, 10, writable=False)
    t = soa.tensor(["x", "y"])
    assert read(t.__dlpack__(max_version=(1, 0)))["flags"] & READ_ONLY
    assert not np.from_dlpack(t).flags.writeable


def test_stream_argument_on_cpu(layout):
    t = ss.SoA.allocate(layout, 4).tensor(["x"])
    read(t.__dlpack__(stream=None))
    read(t.__dlpack__(stream=-1))
    with pytest.raises(BufferError, match="stream 1 given for a CPU tensor"):
        t.__dlpack__(stream=1)


def test_copy_and_foreign_device_requests_are_refused(layout):
    t = ss.SoA.allocate(layout, 4).tensor(["x"])
    with pytest.raises(BufferError):
        t.__dlpack__(copy=True)
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))


def test_column_written_through_torch_is_seen_through_the_soa(layout):
    soa = ss.SoA.allocate(layout, 10)
    x = torch.from_dlpack(soa["x"])
    assert x.data_ptr() == soa.address
    x.copy_(torch.arange(10, dtype=torch.float32))
    assert (soa["x"] == np.arange(10, dtype=np.float32)).all()


def test_torch_sees_the_tensor_with_cms_strides(layout):
    soa = ss.SoA.allocate(layout, 10)
    v = torch.from_dlpack(soa.tensor(["v"]))
    assert v.shape == (10, 3) and v.stride() == (1, 32) and v.data_ptr() == soa.address + layout.offset("v", 10)
    v[:, 1] = 5.0
    assert (soa["v"][:, 1, 0] == 5.0).all() and not soa["v"][:, 0].any()
    soa["v"][:, 2, 0] = -1.0
    assert (v[:, 2] == -1.0).all()


def test_soa_wrapped_over_torch_memory_round_trips(layout):
    memory = torch.zeros(layout.byte_size(10), dtype=torch.uint8)
    soa = ss.SoA.wrap(memory, layout, 10)
    z = torch.from_dlpack(soa["z"])
    z.fill_(11)
    assert (memory[layout.offset("z", 10):][:40].view(torch.int32) == 11).all()
    assert z.data_ptr() == memory.data_ptr() + layout.offset("z", 10)
