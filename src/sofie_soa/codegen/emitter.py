"""Writes the C++ session header of a lowered Plan.

The header holds data and wiring only: the weights as one float32 array, the workspace size, and one launch of
a hand-written kernel template (cpp/include/sofie_soa/kernels/) per operator, or a call of runtime::gemm for a
large layer of the GPU plan, with shapes, offsets and constants as arguments. No kernel body is generated.
"""

from __future__ import annotations

import math

import numpy as np

from sofie_soa.codegen.dense_chains import MAX_WIDTH
from sofie_soa.codegen.lowering import Plan, Ref, features
from sofie_soa.compiler.ir import N

GENERATOR_VERSION = "0.1.0"


def _dim(d) -> str:
    return "n" if d == N else f"std::int64_t{{{d}}}"


def _count(dims) -> str:
    return " * ".join(_dim(d) for d in dims) if dims else "std::int64_t{1}"


def _linear(a: int, b: int) -> str:
    return f"({a} * n + {b})"


def _float(v: float) -> str:
    v = float(np.float32(v))
    if math.isinf(v):
        return ("-" if v < 0 else "") + "std::numeric_limits<float>::infinity()"
    if math.isnan(v):
        return "std::numeric_limits<float>::quiet_NaN()"
    return repr(v) + "f"


def _cols(shape) -> str:
    return _dim(shape[-1]) if len(shape) > 1 else "std::int64_t{1}"


def _accessor(ref: Ref, plan: Plan, write: bool) -> str:
    s = ref.storage
    if s.kind == "input":
        return f"kernels::StridedIn{{bound.in[{s.index}], {features(plan.inputs[s.index][1])}}}"
    if s.kind == "output":
        kind = "StridedOut" if write else "StridedIn"
        return f"kernels::{kind}{{bound.out[{s.index}], {features(plan.outputs[s.index][1])}}}"
    kind = "DenseOut" if write else "DenseIn"
    return f"kernels::{kind}{{{_pointer(ref)}, {_cols(ref.shape)}}}"


def _pointer(ref: Ref) -> str:
    """The address of a workspace or weight tensor."""
    return f"{'ws' if ref.storage.kind == 'workspace' else 'w'} + {_linear(*ref.storage.offset)}"


def _width(layers) -> str:
    """W of kernels::DenseChain<W>: the per-thread buffers hold the launch's widest layer, rounded up to 16."""
    dims = [layers[0].k] + [layer.n for layer in layers]
    widest = max(dims) if all(isinstance(d, int) for d in dims) else MAX_WIDTH
    return str(min(-(-widest // 16) * 16, MAX_WIDTH))


def _unary(spec) -> str:
    kind, alpha, beta = spec
    return f"kernels::Unary{{kernels::UnaryKind::{kind}, {_float(alpha)}, {_float(beta)}}}"


def _dims(shape) -> str:
    return "{" + ", ".join(_dim(d) for d in shape) + "}"


def _call(count: str, kernel: str, *args: str) -> str:
    """One enqueue of a hand-written kernel over `count` work items."""
    return f"compat::launch<TAcc>(queue, {count}, kernels::{kernel}{{}}, {', '.join(args)});"


def _launch(kernel: str, a: dict, plan: Plan) -> str:
    read = lambda key: _accessor(a[key], plan, write=False)  # noqa: E731
    write = lambda key: _accessor(a[key], plan, write=True)  # noqa: E731
    if kernel == "dense":
        rows = _count(a["rows"])
        layers = ", ".join(
            f"kernels::DenseLayer{{{_dim(layer.k)}, {_dim(layer.n)}, {_pointer(layer.weight)}, "
            f"{'nullptr' if layer.bias is None else _pointer(layer.bias)}, "
            f"{_unary(layer.epilogue)}{'' if layer.packed is None else ', ' + _pointer(layer.packed)}}}"
            for layer in a["layers"])
        return _call(f"kernels::DenseKernel::work_items<TAcc>({rows})", "DenseKernel", rows, read("x"), write("y"),
                     f"kernels::dense_chain<{_width(a['layers'])}>({layers})")
    if kernel == "gemm":
        layer = a["layer"]
        return (f"sofie_soa::runtime::gemm<TAcc, {_width([layer])}>(queue, {_count(a['rows'])}, {_dim(layer.k)}, "
                f"{_dim(layer.n)}, {_pointer(a['x'])}, {_pointer(layer.weight)}, {_pointer(a['y'])});")
    if kernel == "unary":
        return _call(_count(a["count"]), "UnaryKernel", read("x"), write("y"), _unary(a["op"]))
    if kernel == "binary":
        out, sa, sb = a["shapes"]
        return _call(_count(a["count"]), "BinaryKernel", read("a"), read("b"), write("y"),
                     f"kernels::broadcast_map({_dims(out)}, {_dims(sa)}, {_dims(sb)})",
                     f"kernels::BinaryKind::{a['kind']}")
    if kernel == "softmax":
        lines = f"({_count(a['shape'])}) / ({_count(a['length'])})"
        return _call(lines, "SoftmaxKernel", read("x"), write("y"), _count(a["length"]),
                     f"std::int64_t{{{a['inner']}}}", str(a["log"]).lower())
    if kernel == "transpose":
        return _call(_count(a["shape"]), "CopyKernel", read("x"), write("y"),
                     f"kernels::transpose_map({_dims(a['shape'])}, {_dims(a['perm'])})")
    if kernel == "concat":
        outer = _count(a["outer"])
        return _call(f"{outer} * {a['chunk']}", "CopyKernel", read("x"), write("y"),
                     f"kernels::concat_map({outer}, {a['chunk']}, {a['total']}, {a['offset']})")
    raise AssertionError(f"no emitter for kernel {kernel}")


def _weights(plan: Plan) -> str:
    values = np.concatenate(plan.weights) if plan.weights else np.zeros(1, np.float32)
    lines = []
    for start in range(0, values.size, 8):
        lines.append("    " + ", ".join(_float(v) for v in values[start:start + 8]) + ",")
    return "\n".join(lines)


def _strings(items) -> str:
    return "{" + ", ".join(f'"{s}"' for s in items) + "}"


def _body(plan: Plan, indent: str) -> str:
    return "\n".join(indent + _launch(launch.kernel, launch.args, plan) for launch in plan.launches)


def emit_header(plans: dict[str, Plan], namespace: str, source: str) -> str:
    """The C++ header of a session `namespace::Session<TAcc>`; `source` names the model in a comment. `plans`
    holds the "cpu" Plan and, where it differs (large layers through BLAS, codegen/blas_layers.py), the "gpu" one:
    the session then chooses at compile time by its accelerator, and each plan has its own workspace."""
    plan, gpu = plans["cpu"], plans.get("gpu")
    if gpu is None or all(launch.kernel != "gemm" for launch in gpu.launches):
        gpu = None
        body = _body(plan, "    ")
    else:
        assert gpu.weight_count == plan.weight_count, "both plans share one weight array"
        body = (f"    if constexpr (compat::is_gpu<TAcc>()) {{\n{_body(gpu, '      ')}\n    }} else {{\n"
                f"{_body(plan, '      ')}\n    }}")
    workspace = _linear(*plan.workspace) if gpu is None else \
        f"(gpu ? {_linear(*gpu.workspace)} : {_linear(*plan.workspace)})"
    packed = ", ".join(f"{{{', '.join(map(str, p))}}}" for p in plan.packed) or "{0, 0, 0, 0}"
    in_names = [name for name, _, _ in plan.inputs]
    out_names = [name for name, _ in plan.outputs]
    in_features = ", ".join(str(features(shape)) for _, shape, _ in plan.inputs)
    out_features = ", ".join(str(features(shape)) for _, shape in plan.outputs)
    return f"""// Generated by sofie_soa {GENERATOR_VERSION} from {source}. Do not edit: regenerate with
//   python -m sofie_soa emit <model.onnx> -o <header>
// A session reads its inputs from SoA features (any numeric dtype, any element stride) and writes its outputs
// into SoA features in place, on the caller's alpaka queue; n (the element count) is known only at run time.
#pragma once

#include <cstdint>
#include <limits>

#include "sofie_soa/kernels.hpp"
#include "sofie_soa/runtime/gemm.hpp"
#include "sofie_soa/runtime/session_base.hpp"

namespace {namespace} {{

namespace detail {{
alignas(64) inline constexpr float kWeights[] = {{
{_weights(plan)}
}};
}}  // namespace detail

/// Names and feature counts of the model's inputs and outputs (ONNX order), its weights and its workspace.
struct Model {{
  static constexpr std::size_t kInputs = {len(in_names)};
  static constexpr std::size_t kOutputs = {len(out_names)};
  static constexpr const char* kInputNames[] = {_strings(in_names)};
  static constexpr const char* kOutputNames[] = {_strings(out_names)};
  static constexpr std::int64_t kInputFeatures[] = {{{in_features}}};
  static constexpr std::int64_t kOutputFeatures[] = {{{out_features}}};
  static constexpr float const* kWeights = detail::kWeights;
  static constexpr std::size_t kWeightCount = {max(plan.weight_count, 1)};
  /// The CPU plan's dense weights packed for its tiles (kernels::DenseKernel::pack), after the weight array.
  static constexpr sofie_soa::kernels::PackedLayer kPacked[] = {{{packed}}};
  static constexpr std::size_t kPackedLayers = {len(plan.packed)};
  static constexpr std::size_t kPackedFloats = {plan.packed_count};
  /// Workspace in float32 elements for n elements on a GPU or a CPU: planned at compile time (memory planner).
  static constexpr std::size_t workspace_floats([[maybe_unused]] std::int64_t n, [[maybe_unused]] bool gpu) {{
    return static_cast<std::size_t>{workspace};
  }}
}};

/// The inference session (sofie_soa::runtime::SessionBase): built once per device, weights copied there at
/// construction, immutable afterwards. infer(queue, n, inputs, outputs) takes FeatureRef arrays,
/// infer(queue, {{views}}, {{views}}) SoA tensor views; memory comes from the given allocator, by default the
/// device's program-wide caching allocator.
template <class TAcc, class TQueue = sofie_soa::compat::DefaultQueue<TAcc>>
class Session : public sofie_soa::runtime::SessionBase<Session<TAcc, TQueue>, TAcc, TQueue, Model> {{
  using Base = sofie_soa::runtime::SessionBase<Session<TAcc, TQueue>, TAcc, TQueue, Model>;
  friend Base;

 public:
  using Base::Base;

 private:
  /// The model's launches, in order: bound features, weights w, workspace ws.
  void enqueue(TQueue& queue, [[maybe_unused]] std::int64_t n, [[maybe_unused]] typename Base::Bound const& bound,
               [[maybe_unused]] float const* w, [[maybe_unused]] float* ws) const {{
    namespace kernels = sofie_soa::kernels;
    namespace compat = sofie_soa::compat;
{body}
  }}
}};

}}  // namespace {namespace}
"""
