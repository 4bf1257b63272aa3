"""Writes the C++ session header of lowered Plans.

The header holds data and wiring only: the weights as one byte array (or none: the JIT path hands them to the
session at construction, so the compiler never sees them), the workspace size, the inputs' and
outputs' names (escaped string literals, codegen/cpp.py), element types and feature counts, the messages of the
run-time index checks where launches check indices read from data (codegen/launches_indexing.py), and one launch
of a hand-written kernel template (cpp/include/sofie_soa/kernels/) per operator (codegen/launches.py), with
shapes, offsets and constants as arguments. No kernel body is generated, and no text from the model becomes code.
"""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen import cpp
from sofie_soa.codegen.launches import emit
from sofie_soa.codegen.launches_indexing import ERROR_WORD_BYTES, index_checks
from sofie_soa.codegen.lowering import Plan

GENERATOR_VERSION = "0.2.0"

_DTYPE = {"float16": "float16", "float32": "float32", "float64": "float64", "bool": "boolean",
          **{t: t for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")}}


def weight_blob(plan: Plan) -> bytes:
    """The plan's weight bytes, every initializer at its offset (Plan.weights): plan.weight_bytes bytes."""
    blob = bytearray(plan.weight_bytes)
    for offset, array in plan.weights:
        blob[offset:offset + array.nbytes] = np.ascontiguousarray(array).tobytes()
    return bytes(blob)


def _weights_block(blob: bytes | None) -> str:
    """detail::kWeights, the weights as a C++ string literal (64 bytes a line, every byte escaped); nothing
    without a blob."""
    if blob is None:
        return ""
    lines = ['    "' + "".join(f"\\{b:03o}" for b in blob[i:i + 64]) + '"' for i in range(0, len(blob), 64)]
    literal = "\n".join(lines) or '    ""'
    return f"""namespace detail {{
// Not const: g++ 12 with AVX-512 (-march=native) folds copies out of a constant string literal that holds NUL
// bytes wrongly (the last elements of an int64 table read as earlier ones); a mutable array is read as data.
alignas(64) inline char kWeights[] =
{literal};
}}  // namespace detail
"""


def _list(items, fmt=str, empty: str = "0") -> str:
    """A braced initializer list; `empty` stands in for an empty one (C++ has no zero-size arrays)."""
    return "{" + (", ".join(fmt(i) for i in items) or empty) + "}"


def _body(plan: Plan, indent: str) -> str:
    return "\n".join(indent + emit(launch, plan) for launch in plan.launches)


def _checks_block(checks: list, error_offset: str) -> str:
    """Model members of the run-time index checks (SessionBase::enqueue_checked): none without checks."""
    if not checks:
        return ""
    return f"""  /// Launches checking indices read from data (kernels/index_error.hpp): the message of each error code
  /// (1, 2, ...), and where the error word lies in the workspace.
  static constexpr ::std::size_t kIndexChecks = {len(checks)};
  static constexpr const char* kIndexErrors[] = {_list(checks, cpp.string_literal)};
  static constexpr ::std::size_t error_offset([[maybe_unused]] ::std::int64_t n, [[maybe_unused]] bool gpu) {{
    return static_cast<::std::size_t>({error_offset});
  }}
"""


def namespace_of(name: str) -> str:
    """The C++ namespace of a session called `name` (any text): sofie_soa_generated::<identifier>."""
    return "sofie_soa_generated::" + cpp.identifier(name)


def emit_header(plans: dict[str, Plan], name: str, source: str, embed_weights: bool = True) -> str:
    """The C++ header of `namespace_of(name)::Session<TAcc>`; `source` names the model in a comment. `plans` holds
    the "cpu" Plan and, where it differs (large layers through BLAS, codegen/blas_layers.py), the "gpu" one: the
    session then chooses at compile time by its accelerator, and each plan has its own workspace. With
    `embed_weights` false the header holds no weights (weight_blob(plans["cpu"]) goes to the session's
    constructor instead): the C++ compiler never parses them, and models that differ only in their weights share
    one compiled library."""
    plan, gpu = plans["cpu"], plans.get("gpu")
    if gpu is None or all(launch.kernel != "gemm" for launch in gpu.launches):
        gpu = None
        body = _body(plan, "    ")
    else:
        assert gpu.weight_bytes == plan.weight_bytes, "both plans share one weight array"
        body = (f"    if constexpr (compat::is_gpu<TAcc>()) {{\n{_body(gpu, '      ')}\n    }} else {{\n"
                f"{_body(plan, '      ')}\n    }}")
    checks = index_checks(plan)
    assert gpu is None or index_checks(gpu) == checks, "both plans check the same launches"
    error = ERROR_WORD_BYTES if checks else 0    # the error word after the planned workspace (launches_indexing)
    workspace = cpp.linear(plan.workspace[0], plan.workspace[1] + error) if gpu is None else \
        f"(gpu ? {cpp.linear(gpu.workspace[0], gpu.workspace[1] + error)} : " \
        f"{cpp.linear(plan.workspace[0], plan.workspace[1] + error)})"
    error_offset = cpp.linear(*plan.workspace) if gpu is None else \
        f"(gpu ? {cpp.linear(*gpu.workspace)} : {cpp.linear(*plan.workspace)})"
    packed = ", ".join(_list(p) for p in plan.packed) or "{0, 0, 0, 0}"
    blob = weight_blob(plan) if embed_weights else None
    weight_bytes = plan.weight_bytes
    weights = "nullptr" if blob is None else "reinterpret_cast<::std::byte const*>(detail::kWeights)"
    namespace = namespace_of(name)
    names = lambda bindings: _list((b.name for b in bindings), cpp.string_literal, "nullptr")  # noqa: E731
    features = lambda bindings: _list(b.features for b in bindings)  # noqa: E731
    kinds = lambda bindings: _list((b.dtype for b in bindings), lambda d: f"::sofie_soa::DType::{_DTYPE[d]}",  # noqa
                                   "::sofie_soa::DType::float32")
    return f"""// Generated by sofie_soa {GENERATOR_VERSION} from {cpp.comment_text(source)}. Do not edit: regenerate with
//   python -m sofie_soa emit <model.onnx> -o <header>
// A session reads its inputs from SoA features (any numeric dtype, any element stride) and writes its outputs
// into SoA features in place, on the caller's alpaka queue; n (the element count) is known only at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "sofie_soa/kernels.hpp"
#include "sofie_soa/runtime/gemm.hpp"
#include "sofie_soa/runtime/session_base.hpp"

namespace {namespace} {{

{_weights_block(blob)}
/// The model's inputs and outputs (ONNX order): names, element types and features per row (the positions off
/// the row axis, which holds the element count n in dynamic models); its weights and its workspace.
struct Model {{
  static constexpr ::std::size_t kInputs = {len(plan.inputs)};
  static constexpr ::std::size_t kOutputs = {len(plan.outputs)};
  static constexpr bool kDynamic = {str(plan.dynamic).lower()};
  static constexpr const char* kInputNames[] = {names(plan.inputs)};
  static constexpr const char* kOutputNames[] = {names(plan.outputs)};
  static constexpr ::sofie_soa::DType kInputDTypes[] = {kinds(plan.inputs)};
  static constexpr ::sofie_soa::DType kOutputDTypes[] = {kinds(plan.outputs)};
  static constexpr ::std::int64_t kInputFeatures[] = {features(plan.inputs)};
  static constexpr ::std::int64_t kOutputFeatures[] = {features(plan.outputs)};
  /// The weight bytes in the header, or nullptr when the session takes them at construction.
  static ::std::byte const* weights() {{ return {weights}; }}
  static constexpr ::std::size_t kWeightBytes = {weight_bytes};
  /// The CPU plan's dense weights packed for its tiles (kernels::DenseKernel::pack), after the weight bytes:
  /// byte offsets of the source [K, N] and of the packed copy.
  static constexpr ::sofie_soa::kernels::PackedLayer kPacked[] = {{{packed}}};
  static constexpr ::std::size_t kPackedLayers = {len(plan.packed)};
  static constexpr ::std::size_t kPackedBytes = {plan.packed_bytes};
  /// Workspace bytes for n elements on a GPU or a CPU: planned at compile time (memory planner).
  static constexpr ::std::size_t workspace_bytes([[maybe_unused]] ::std::int64_t n, [[maybe_unused]] bool gpu) {{
    return static_cast<::std::size_t>({workspace});
  }}
{_checks_block(checks, error_offset)}}};

/// The inference session (sofie_soa::runtime::SessionBase): built once per device, weights copied there at
/// construction (from the header, or from the host bytes given to the constructor), immutable afterwards. infer(queue, n, inputs, outputs) takes FeatureRef arrays,
/// infer(queue, {{views}}, {{views}}) SoA tensor views; memory comes from the given allocator, by default the
/// device's program-wide caching allocator.
template <class TAcc, class TQueue = ::sofie_soa::compat::DefaultQueue<TAcc>>
class Session : public ::sofie_soa::runtime::SessionBase<Session<TAcc, TQueue>, TAcc, TQueue, Model> {{
  using Base = ::sofie_soa::runtime::SessionBase<Session<TAcc, TQueue>, TAcc, TQueue, Model>;
  friend Base;

 public:
  using Base::Base;

 private:
  /// The model's launches, in order: bound features, weight bytes w, workspace bytes ws.
  void enqueue(TQueue& queue, [[maybe_unused]] ::std::int64_t n, [[maybe_unused]] typename Base::Bound const& bound,
               [[maybe_unused]] ::std::byte const* w, [[maybe_unused]] ::std::byte* ws) const {{
    namespace kernels = ::sofie_soa::kernels;
    namespace compat = ::sofie_soa::compat;
{body}
  }}
}};

}}  // namespace {namespace}
"""
