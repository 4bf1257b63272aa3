"""Layout arithmetic: the reference worked example, property tests against an independent formula, errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sofie_soa as ss

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool"]


def test_worked_example_reproduces_896_bytes(example_layout):
    assert example_layout.byte_size(10) == 896
    assert example_layout.offsets(10) == {"x": 0, "y": 128, "z": 256, "s": 384, "v": 512}
    assert example_layout.stride("v", 10) == 32          # elements between coefficients
    assert example_layout.pitch("v", 10) == 128          # bytes
    assert example_layout.pitch("s", 10) == 128          # one full slot for a scalar


def test_members_describe_themselves():
    v = ss.eigen_column("cov", np.float32, (5, 3))
    assert (v.name, v.dtype, v.shape, v.kind) == ("cov", "float32", (5, 3), ss.MemberKind.eigen_column)
    assert repr(ss.scalar("n", "int32")) == "scalar('n', 'int32')"
    assert ss.column("b", bool).dtype == "bool"


def independent_size_and_offsets(members, n, alignment):
    """CMS SoACommon.h alignSize, written without the library: ceil(bytes / A) * A per column slot."""
    def align(b):
        return math.ceil(b / alignment) * alignment
    offsets, at = {}, 0
    for kind, name, dtype, (rows, cols) in members:
        offsets[name] = at
        itemsize = np.dtype(dtype).itemsize
        at += align(itemsize) if kind == "scalar" else rows * cols * align(n * itemsize)
    return at, offsets


member_specs = st.lists(
    st.tuples(st.sampled_from(["column", "scalar", "eigen_column"]), st.sampled_from(DTYPES),
              st.tuples(st.integers(1, 6), st.integers(1, 6))),
    min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(specs=member_specs, n=st.one_of(st.sampled_from([0, 1, 2, 31, 32, 33]), st.integers(0, 2**31 - 1)),
       log2_alignment=st.integers(3, 12))
def test_sizes_and_offsets_match_independent_formula(specs, n, log2_alignment):
    alignment = 2 ** log2_alignment
    members, expected_specs = [], []
    for i, (kind, dtype, shape) in enumerate(specs):
        name = f"m{i}"
        shape = shape if kind == "eigen_column" else (1, 1)
        members.append(ss.eigen_column(name, dtype, shape) if kind == "eigen_column"
                       else getattr(ss, kind)(name, dtype))
        expected_specs.append((kind, name, dtype, shape))
    layout = ss.Layout(members, alignment=alignment)
    size, offsets = independent_size_and_offsets(expected_specs, n, alignment)
    assert layout.byte_size(n) == size
    assert layout.offsets(n) == offsets
    for kind, name, dtype, _ in expected_specs:
        assert offsets[name] % alignment == 0
        itemsize = np.dtype(dtype).itemsize
        slot = itemsize if kind == "scalar" else n * itemsize
        assert layout.pitch(name, n) == math.ceil(slot / alignment) * alignment
        assert layout.stride(name, n) * itemsize == layout.pitch(name, n)


@pytest.mark.parametrize("make, message", [
    (lambda: ss.Layout([]), "at least one member"),
    (lambda: ss.Layout([ss.column("x", "float32"), ss.scalar("x", "int32")]), "duplicate member name 'x'"),
    (lambda: ss.Layout([ss.column("v[1]", "float32")]), "'v[1]' is not a C++ identifier"),
    (lambda: ss.Layout([ss.column("x", "float32")], alignment=96), "alignment 96 bytes is not a power of two"),
    (lambda: ss.Layout([ss.column("x", "float64")], alignment=4),
     "alignment 4 bytes is smaller than member 'x' element (float64, 8 bytes)"),
    (lambda: ss.Layout([ss.eigen_column("m", "float32", (0, 2))]), "Eigen column 'm' has shape (0, 2)"),
    (lambda: ss.column("x", "complex64"), "unknown dtype 'complex64'"),
])
def test_invalid_layouts_raise_naming_the_problem(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert message in str(err.value)


@pytest.mark.parametrize("n", [-1, 2**31])
def test_element_count_out_of_range(example_layout, n):
    with pytest.raises(ValueError, match=f"n = {n} is out of range"):
        example_layout.byte_size(n)


def test_unknown_member_is_a_key_error_listing_the_members(example_layout):
    with pytest.raises(KeyError, match=r"no member 'q' in layout \(members: x, y, z, s, v\)"):
        example_layout.offset("q", 10)


def test_sizes_that_would_wrap_are_refused_naming_the_member():
    """Hostile shapes and alignments (security finding: rows x cols x pitch wrapped size_t, two members shared
    offset 0, allocate handed out 128 bytes for a 2^64-byte view)."""
    with pytest.raises(ValueError, match="member 'm' .*more than 2\\^62 bytes"):
        ss.Layout([ss.eigen_column("m", "float32", (2**28, 2**29)), ss.column("x", "float32")])
    with pytest.raises(ValueError, match="first exceeded at member 'e'"):   # each 2^60 bytes: the fifth passes 2^62
        ss.Layout([ss.eigen_column(name, "float64", (2**13, 2**13)) for name in "abcde"])
    for alignment in (2**17, 2**62, 2**63):
        with pytest.raises(ValueError, match="exceeds the maximum of 65536 bytes"):
            ss.Layout([ss.column("x", "float32")], alignment=alignment)
    largest = ss.Layout([ss.eigen_column("m", "float64", (2**12, 2**12))], alignment=2**16)
    assert largest.byte_size(2**31 - 1) == 2**24 * (2**31 * 8)          # just below 2^62: exact, no wrap
