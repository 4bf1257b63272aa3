"""Readable reprs for the SoA core's classes (``sofie_soa._core``, nanobind), defined here in Python so that the
extension need not be rebuilt for them. Layout and Member have their own C++ reprs (which evaluate back to equal
objects); SoA and Tensor get a summary: sizes, members or features with their dtypes, device, ownership.

    SoA(n=10, members=[x, v, s], nbytes=640, device='cpu', owns_memory=True, writable=True)
    Tensor(n=10, features=[x: float32, v[1]: float64, s: int32 (scalar)], device='cpu', writable=True)
"""

from __future__ import annotations

from sofie_soa import _core


def soa_repr(soa: "_core.SoA") -> str:
    """n (elements), the layout's member names in order, the buffer's size in bytes, device and flags."""
    members = ", ".join(m.name for m in soa.layout.members)
    return (f"SoA(n={soa.n}, members=[{members}], nbytes={soa.nbytes}, device={soa.device!r}, "
            f"owns_memory={soa.owns_memory}, writable={soa.writable})")


def tensor_repr(tensor: "_core.Tensor") -> str:
    """n (rows), each feature as ``label: dtype`` (``(scalar)`` when broadcast, stride 0), device and writability;
    why DLPack export is impossible, when it is."""
    features = ", ".join(f"{label}: {dtype}{' (scalar)' if stride == 0 else ''}"
                         for label, dtype, _address, stride in tensor.features)
    why = tensor.dlpack_error
    return (f"Tensor(n={tensor.n}, features=[{features}], device={tensor.device!r}, writable={tensor.writable}"
            f"{f', no DLPack: {why}' if why else ''})")


def install() -> None:
    """Sets SoA.__repr__ and Tensor.__repr__ (called once by sofie_soa/__init__.py)."""
    _core.SoA.__repr__ = soa_repr
    _core.Tensor.__repr__ = tensor_repr
