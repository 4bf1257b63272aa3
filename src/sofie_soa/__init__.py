"""sofie_soa: zero-copy ML inference on Structure-of-Arrays (SoA) data.

The SoA core (layouts byte-compatible with CMS ``GENERATE_SOA_LAYOUT``, buffers, zero-copy views and DLPack
interop) is implemented in C++ (``cpp/include/sofie_soa``) and bound by nanobind as ``sofie_soa._core``.
"""

from sofie_soa._core import (Layout, Member, MemberKind, SoA, Tensor, column, eigen_column, host_allocator_stats,
                             scalar)

from sofie_soa.compiler.check import Problem, check
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.runtime.build import BuildError
from sofie_soa.runtime.memory import CachingAllocator, default_allocator
from sofie_soa.runtime.model import IndexOutOfRange, Model, compile
from sofie_soa.runtime.queue import Queue

__version__ = "0.1.0"

__all__ = ["BuildError", "CachingAllocator", "IndexOutOfRange", "Layout", "Member", "MemberKind", "Model", "ModelError",
           "Problem", "Queue", "SoA", "Tensor", "UnsupportedOperator", "check", "column", "compile", "default_allocator",
           "eigen_column", "host_allocator_stats", "scalar"]
