"""sofie_soa: zero-copy ML inference on Structure-of-Arrays (SoA) data.

The SoA core (layouts byte-compatible with CMS ``GENERATE_SOA_LAYOUT``, buffers, zero-copy views and DLPack
interop) is implemented in C++ (``cpp/include/sofie_soa``) and bound by nanobind as ``sofie_soa._core``.
"""

from sofie_soa._core import Layout, Member, MemberKind, SoA, Tensor, column, eigen_column, scalar

__version__ = "0.1.0"

__all__ = ["Layout", "Member", "MemberKind", "SoA", "Tensor", "column", "eigen_column", "scalar"]
