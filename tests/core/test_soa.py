"""SoA buffers: allocate and wrap without copies, member views, and every buffer error (nothing written)."""

import numpy as np
import pytest

import sofie_soa as ss


def aligned_bytes(nbytes, alignment=128, offset=0):
    """A uint8 NumPy array of `nbytes` whose data starts `offset` bytes past an `alignment` boundary."""
    raw = np.zeros(nbytes + alignment + offset, np.uint8)
    start = (-raw.ctypes.data) % alignment + offset
    return raw[start:start + nbytes]


def test_allocate_is_zeroed_aligned_and_owned(example_layout):
    soa = ss.SoA.allocate(example_layout, 10)
    assert soa.address % 128 == 0 and soa.owns_memory and soa.n == len(soa) == 10
    assert soa.nbytes >= 896
    assert not soa["x"].any() and soa.scalar("s") == 0.0


def test_member_views_sit_at_layout_offsets(example_layout):
    soa = ss.SoA.allocate(example_layout, 10)
    offsets = example_layout.offsets(10)
    for name in ["x", "y", "z", "v"]:
        assert soa[name].ctypes.data == soa.address + offsets[name]
    assert soa["x"].shape == (10,) and soa["x"].dtype == np.float32
    assert soa["y"].dtype == np.float64 and soa["z"].dtype == np.int32
    v = soa["v"]
    assert v.shape == (10, 3, 1) and v.strides == (4, 128, 384)   # bytes: (1, P, 3P) elements, P = 32
    assert soa["s"].shape == ()


def test_eigen_coefficients_follow_column_major_order():
    layout = ss.Layout([ss.eigen_column("m", "float64", (2, 3))])
    soa = ss.SoA.allocate(layout, 5)
    m = soa["m"]
    m[...] = np.arange(5 * 6, dtype=np.float64).reshape(5, 2, 3)
    flat = np.frombuffer(ss_memory(soa), np.float64)
    pitch = layout.stride("m", 5)
    for i in range(5):
        for r in range(2):
            for c in range(3):
                assert flat[i + (r + 2 * c) * pitch] == m[i, r, c]


def ss_memory(soa):
    """The whole buffer of an SoA as bytes (a copy, for checking raw positions)."""
    import ctypes
    return ctypes.string_at(soa.address, soa.nbytes)


def test_writing_one_member_leaves_the_others_untouched(example_layout):
    soa = ss.SoA.allocate(example_layout, 10)
    soa["y"][:] = -1.0
    soa["v"][:, 2, 0] = 7.0
    soa["s"][()] = 3.5
    assert not soa["x"].any() and not soa["z"].any()
    assert (soa["v"][:, :2] == 0).all() and soa.scalar("s") == 3.5


def test_wrap_numpy_is_zero_copy_both_ways(example_layout):
    buffer = aligned_bytes(896)
    soa = ss.SoA.wrap(buffer, example_layout, 10)
    assert soa.address == buffer.ctypes.data and not soa.owns_memory
    soa["z"][:] = np.arange(10)
    assert (buffer[256:296].view(np.int32) == np.arange(10)).all()
    buffer[0:4] = np.frombuffer(np.float32(1.5).tobytes(), np.uint8)
    assert soa["x"][0] == 1.5


def test_wrap_torch_memory_without_copy(example_layout):
    torch = pytest.importorskip("torch", reason="PyTorch interop needs torch (CI installs torch==2.13.0)")
    memory = torch.zeros(896 // 4, dtype=torch.float32)
    soa = ss.SoA.wrap(memory, example_layout, 10)
    assert soa.address == memory.data_ptr()
    soa["x"][:] = 2.0
    assert (memory[:10] == 2.0).all()
    memory[32:42] = 0  # y's first 40 bytes: 5 float64 zeros, already zero; now set x through torch
    memory[5] = -3.0
    assert soa["x"][5] == -3.0


def test_wrap_read_only_memory_for_reading(example_layout):
    data = bytes(896)
    soa = ss.SoA.wrap(data, example_layout, 10, writable=False)
    assert not soa.writable and not soa["x"].flags.writeable and not soa["v"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        soa["x"][0] = 1.0


@pytest.mark.parametrize("make_buffer, n, exception, message", [
    (lambda: aligned_bytes(895), 10, ValueError, "buffer of 895 bytes is too small: the layout needs 896 bytes for n = 10"),
    (lambda: aligned_bytes(896, offset=2), 10, ValueError, "is not aligned to 8 bytes (the largest element"),
    (lambda: bytes(896), 10, ValueError, "read-only; pass writable=False"),
    (lambda: aligned_bytes(2 * 896)[::2], 10, ValueError, "not contiguous (shape (896), strides (2) elements)"),
    (lambda: aligned_bytes(896), -1, ValueError, "n = -1 is out of range"),
    (lambda: aligned_bytes(896), 2**31, ValueError, "n = 2147483648 is out of range"),
    (lambda: object(), 10, TypeError, "neither DLPack nor the buffer protocol"),
])
def test_wrap_errors_name_the_numbers(example_layout, make_buffer, n, exception, message):
    buffer = make_buffer()
    before = bytes(buffer) if isinstance(buffer, (bytes, np.ndarray)) else None
    with pytest.raises(exception) as err:
        ss.SoA.wrap(buffer, example_layout, n)
    assert message in str(err.value)
    if before is not None:
        assert bytes(buffer) == before  # nothing written


def test_enforced_alignment_requires_the_full_alignment():
    layout = ss.Layout([ss.column("x", "float32")], enforce_alignment=True)
    ss.SoA.wrap(aligned_bytes(128), layout, 10)
    with pytest.raises(ValueError, match="not aligned to 128 bytes \\(the layout enforces its alignment\\)"):
        ss.SoA.wrap(aligned_bytes(128, offset=64), layout, 10)


def test_unknown_member_and_non_scalar(example_layout):
    soa = ss.SoA.allocate(example_layout, 10)
    with pytest.raises(KeyError, match="no member 'pt'"):
        soa["pt"]
    with pytest.raises(ValueError, match="member 'x' is not a scalar"):
        soa.scalar("x")


def test_allocate_rejects_bad_element_counts(example_layout):
    with pytest.raises(ValueError, match="n = -5 is out of range"):
        ss.SoA.allocate(example_layout, -5)
    empty = ss.SoA.allocate(example_layout, 0)
    assert empty["x"].shape == (0,) and empty["v"].shape == (0, 3, 1)
