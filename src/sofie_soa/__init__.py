"""sofie_soa: zero-copy ML inference on Structure-of-Arrays (SoA) data.

The SoA core (layouts byte-compatible with CMS ``GENERATE_SOA_LAYOUT``, buffers, zero-copy views and DLPack
interop) is implemented in C++ (``cpp/include/sofie_soa``) and bound by nanobind as ``sofie_soa._core``.

Exceptions a program may catch: ModelError (and its UnsupportedOperator) for models this compiler cannot take,
BuildError for a missing or failing C++ toolchain, AlpakaNotFound when no alpaka headers can be found or fetched;
ValueError for mismatched arguments. Warning: FixedBatchWarning (a model without a dynamic dimension).
"""

from sofie_soa._core import (Layout, Member, MemberKind, RaggedTensor, SoA, Tensor, column, eigen_column,
                             host_allocator_stats, scalar)

from sofie_soa import core_repr as _core_repr
from sofie_soa.compiler.check import Problem, check
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.runtime import log as _log  # noqa: F401 — the "sofie_soa" logger's defaults (runtime/log.py)
from sofie_soa.runtime.alpaka_headers import AlpakaNotFound
from sofie_soa.runtime.build import BuildError
from sofie_soa.runtime.fixed_batch import FixedBatchWarning
from sofie_soa.runtime.memory import CachingAllocator, default_allocator
from sofie_soa.runtime.model import IndexOutOfRange, Model, TensorInfo, compile
from sofie_soa.runtime.queue import Queue
from sofie_soa.serving.errors import RemoteError, RequestError, ServerNotFound, ServerStartError

__version__ = "0.1.0"

_core_repr.install()

__all__ = ["AlpakaNotFound", "BuildError", "CachingAllocator", "FixedBatchWarning", "IndexOutOfRange", "Layout",
           "Member", "MemberKind", "Model", "ModelError", "Problem", "Queue", "RaggedTensor", "RemoteError",
           "RequestError", "ServerNotFound", "ServerStartError", "SoA", "Tensor", "TensorInfo",
           "UnsupportedOperator", "check", "column", "compile", "default_allocator", "eigen_column",
           "host_allocator_stats", "scalar"]
