"""The SoA request form on the wire: the collection's whole buffer as one UINT8 tensor, and its element count.

Request inputs: ``soa_buffer_bytes`` UINT8 ``[1, nbytes]`` (nbytes = layout.byte_size(n), bytes) and ``soa_n`` INT64
``[1, 1]`` (elements); the leading 1 is Triton's batch dimension. Response outputs: one ``soa.<feature>`` tensor
``[1, n]`` per output feature of the binding (soa_layout.SoABinding.output_features), in that feature's dtype.
"""

from __future__ import annotations

import numpy as np

import sofie_soa as ss

# 16 characters on purpose: Triton 2.51's Python backend puts a request tensor's data in the stub's shared memory
# at an address congruent to len(name) modulo 16 (measured for 2-D tensors), so this name gives 16-byte aligned
# bytes, which SoA.wrap takes in place (relaxed alignment: the largest element, at most 8 bytes). Any other
# placement still works, through one copy (wrap's `copied`).
BUFFER = "soa_buffer_bytes"
COUNT = "soa_n"
OUTPUT_PREFIX = "soa."


def output_name(label: str) -> str:
    """The response tensor's name for output feature `label` (``"score"`` -> ``"soa.score"``)."""
    return OUTPUT_PREFIX + label


def buffer_bytes(soa: ss.SoA) -> np.ndarray:
    """The SoA's whole buffer as a uint8 NumPy array [layout.byte_size(n)] over the same memory (no copy;
    ValueError for device memory)."""
    if soa.device != "cpu":
        raise ValueError(f"the SoA form sends host memory; this SoA is on {soa.device}")
    nbytes = soa.layout.byte_size(soa.n)
    return np.ctypeslib.as_array((np.ctypeslib.ctypes.c_uint8 * nbytes).from_address(soa.address)) \
        if nbytes else np.empty(0, np.uint8)


def check_request(layout: ss.Layout, nbytes: int, n: int, max_n: int) -> None:
    """ValueError naming the inputs and the numbers unless 0 <= n <= max_n and nbytes == layout.byte_size(n)."""
    if n < 0 or n > max_n:
        raise ValueError(f"input '{COUNT}' is {n}, outside 0..{max_n} (the model's max n)")
    expected = layout.byte_size(n)
    if nbytes != expected:
        raise ValueError(f"input '{BUFFER}' holds {nbytes} bytes; the layout needs {expected} bytes for "
                         f"'{COUNT}' = {n}")


def wrap(buffer: np.ndarray, layout: ss.Layout, n: int) -> tuple:
    """(read-only SoA over `buffer`, copied) for a received uint8 buffer already checked by check_request. The
    bytes are wrapped in place when their start meets the layout's alignment rule, else (copied = True) first
    moved into an aligned allocation."""
    flat = buffer.reshape(-1)
    try:
        return ss.SoA.wrap(flat, layout, n, writable=False), False
    except ValueError:
        if flat.ctypes.data % max(_element_size(layout), 1) == 0 and not layout.enforce_alignment:
            raise
        soa = ss.SoA.allocate(layout, n)
        buffer_bytes(soa)[:] = flat
        return soa, True


def _element_size(layout: ss.Layout) -> int:
    return max(np.dtype(m.dtype).itemsize for m in layout.members)
