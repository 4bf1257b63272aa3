"""How each kind of Launch is written in a session's enqueue(): the hand-written kernel (cpp/include/sofie_soa/
kernels/) it runs, over how many work items, with which accessors, index maps and constants. Wiring only — no
kernel body is generated. One function per kernel kind, in EMITTERS.

Launch arguments (set by the operators, compiler/ops/, and the plan passes):
  map        op: Functor, out: Ref, ins: [Ref], map: IndexMap                  kernels::MapKernel
  softmax    x, y: Ref, length, inner: ints, kind: "softmax" | "log_softmax" | "hardmax"
  dense      x, y: Ref, rows: shape, layers: [DenseLayer], skip: Ref (read by   kernels::DenseKernel
             the last layer: residual_epilogues.py)
  gemm       x, y: Ref, rows: shape, layer: DenseLayer                         runtime::gemm (GPU plan)
Operator families add theirs with @emitter("kind"): the reduction family's (reduce, arg_reduce, cumulative) in
launches_reduce.py, the indexing family's in launches_indexing.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sofie_soa.codegen import cpp
from sofie_soa.codegen.index_maps import MAX_RANK, IndexMap
from sofie_soa.compiler.dtypes import CPP
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.symbolic import size

if TYPE_CHECKING:  # operators import this module, and lowering imports the operators
    from sofie_soa.codegen.lowering import Plan, Ref

EMITTERS: dict = {}


def emitter(kind: str):
    def register(fn):
        EMITTERS[kind] = fn
        return fn
    return register


@dataclass(frozen=True)
class Functor:
    """A functor of kernels/functors/ (kernels::fn::<name>), constructed with `args` (C++ expressions or
    numbers, in the order of its members); `dtype` is its template argument where it has one (Constant<T>)."""
    name: str
    args: tuple = ()
    dtype: str | None = None

    def cpp(self) -> str:
        template = f"<{CPP[self.dtype]}>" if self.dtype else ""
        args = ", ".join(a if isinstance(a, str) else _number(a) for a in self.args)
        return f"kernels::fn::{self.name}{template}{{{args}}}"


def constant(value, dtype: str) -> Functor:
    """The functor of a fill with `value` of `dtype` (kernels::fn::Constant<T>)."""
    return Functor("Constant", (cpp.scalar(value, dtype),), dtype)


def _number(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return cpp.int_literal(value)
    return cpp.float_literal(value)


def count(shape) -> str:
    """The element count of `shape` as an expression in n."""
    return cpp.dim(size(shape))


def accessor(ref: Ref, plan: Plan, write: bool, cols: str = "1") -> str:
    """The kernel accessor of `ref`: Strided over the caller's features for graph inputs and outputs, Dense over
    the workspace or the weight bytes."""
    s, t = ref.storage, CPP[ref.dtype]
    if s.kind in ("input", "output"):
        binding = (plan.inputs if s.kind == "input" else plan.outputs)[s.index]
        features = f"bound.{'in' if s.kind == 'input' else 'out'}[{s.index}]"
        kind = "StridedOut" if write else "StridedIn"
        return f"kernels::{kind}<{t}>{{{features}, {{{binding.inner}, {cpp.dim(binding.rows)}}}, {cols}}}"
    base = "ws" if s.kind == "workspace" else "w"
    kind = "dense_out" if write else "dense_in"
    return f"kernels::{kind}<{t}>({base}, {cpp.linear(*s.offset)}, {cols})"


def pointer(ref: Ref) -> str:
    """A typed pointer to a workspace or weight tensor."""
    base = "ws" if ref.storage.kind == "workspace" else "w"
    return f"kernels::typed<{CPP[ref.dtype]}>({base}, {cpp.linear(*ref.storage.offset)})"


def index_map(m: IndexMap, where: str) -> str:
    if len(m.extents) > MAX_RANK:
        raise ModelError(f"{where}: an index space of rank {len(m.extents)} exceeds {MAX_RANK} dimensions")
    rows = lambda values: "{" + ", ".join(cpp.dim(v) for v in values) + "}"  # noqa: E731
    return (f"kernels::IndexMap<{m.tensors}>{{{len(m.extents)}, {rows(m.extents)}, "
            f"{{{', '.join(rows(s) for s in m.strides)}}}, {rows(m.offsets)}}}")


def call(work: str, kernel: str, *args: str) -> str:
    """One enqueue of a hand-written kernel over `work` work items."""
    return f"compat::launch<TAcc>(queue, {work}, kernels::{kernel}{{}}, {', '.join(args)});"


@emitter("map")
def _map(a: dict, plan: Plan, where: str) -> str:
    m: IndexMap = a["map"]
    ins = [accessor(r, plan, write=False) for r in a["ins"]]
    return call(cpp.dim(m.count), "MapKernel", index_map(m, where), a["op"].cpp(),
                accessor(a["out"], plan, write=True), *ins)


@emitter("softmax")
def _softmax(a: dict, plan: Plan, where: str) -> str:
    lines = f"({count(a['x'].shape)}) / {a['length']}"
    return call(lines, "SoftmaxKernel", accessor(a["x"], plan, False), accessor(a["y"], plan, True),
                cpp.int_literal(a["length"]), cpp.int_literal(a["inner"]), f"kernels::SoftmaxKind::{a['kind']}")


def unary_epilogue(spec) -> str:
    kind, alpha, beta = spec
    return f"kernels::Unary{{kernels::UnaryKind::{kind}, {cpp.float_literal(alpha, 'float32')}, " \
           f"{cpp.float_literal(beta, 'float32')}}}"


def _dense_width(layers) -> str:
    """W of kernels::DenseChain<W>: the per-thread buffers hold the launch's widest layer, rounded up to 16."""
    from sofie_soa.codegen.dense_chains import MAX_WIDTH
    widest = max([layers[0].k] + [layer.n for layer in layers])
    return str(min(-(-widest // 16) * 16, MAX_WIDTH))


def _packed_and_residual(layer) -> str:
    """The trailing members of a kernels::DenseLayer initializer: the packed weight, the residual and its pitch."""
    packed = "nullptr" if layer.packed is None else pointer(layer.packed)
    if layer.residual is None:
        return "" if layer.packed is None else f", {packed}"
    return f", {packed}, {pointer(layer.residual)}, {layer.n}"


@emitter("dense")
def _dense(a: dict, plan: Plan, where: str) -> str:
    rows = count(a["rows"])
    layers = ", ".join(
        f"kernels::DenseLayer{{{layer.k}, {layer.n}, {pointer(layer.weight)}, "
        f"{'nullptr' if layer.bias is None else pointer(layer.bias)}, {unary_epilogue(layer.epilogue)}"
        f"{_packed_and_residual(layer)}}}" for layer in a["layers"])
    k, n = a["layers"][0].k, a["layers"][-1].n
    return call(f"kernels::DenseKernel::work_items<TAcc>({rows})", "DenseKernel", rows,
                _dense_operand(a["x"], plan, False, k, a.get("x_sites")),
                _dense_operand(a["y"], plan, True, n, a.get("y_sites")),
                f"kernels::dense_chain<{_dense_width(a['layers'])}>({layers})")


def _dense_operand(ref: Ref, plan: Plan, write: bool, cols: int, sites) -> str:
    """A dense launch's X or Y: row-major [rows, cols], or channels first [B, cols, sites] (codegen/channels_first.py)."""
    if sites is None:
        return accessor(ref, plan, write, str(cols))
    base = "ws" if ref.storage.kind == "workspace" else "w"
    kind = "channels_first_out" if write else "channels_first_in"
    return f"kernels::{kind}<float>({base}, {cpp.linear(*ref.storage.offset)}, {cols}, {sites})"


@emitter("gemm")
def _gemm(a: dict, plan: Plan, where: str) -> str:
    layer = a["layer"]
    return (f"::sofie_soa::runtime::gemm<TAcc, {_dense_width([layer])}>(queue, {count(a['rows'])}, {layer.k}, "
            f"{layer.n}, {pointer(a['x'])}, {pointer(layer.weight)}, {pointer(a['y'])});")


def emit(launch, plan: Plan) -> str:
    fn = EMITTERS.get(launch.kernel)
    if fn is None:
        raise AssertionError(f"no emitter for kernel {launch.kernel}")
    return fn(launch.args, plan, launch.node)


from sofie_soa.codegen import launches_indexing, launches_reduce  # noqa: E402,F401  (the families' emitters)
