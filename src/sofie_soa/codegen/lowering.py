"""Lowers a typed, folded IR graph to a Plan: where every tensor lives and which kernel launches compute it.

Storage kinds: graph inputs are read in place from the caller's memory (StridedIn: one FeatureRef per position
off the row axis); graph outputs are written in place into the caller's memory (StridedOut); intermediates live
in the workspace (bytes, each tensor at an offset linear in n, placed by the memory planner,
codegen/memory_planner.py); constants live in the weight bytes, each aligned to WEIGHT_ALIGNMENT. Reshape-like
operators alias their input's storage when no data has to move.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ir import Graph, TensorType
from sofie_soa.compiler.ops import REGISTRY, Tensor
from sofie_soa.compiler.symbolic import SymN, coefficients, is_symbolic, prod, size

WEIGHT_ALIGNMENT = 64


@dataclass(eq=False)
class Storage:
    kind: str                 # "input" | "output" | "workspace" | "weights"
    index: int = 0            # graph input/output number
    offset: tuple = (0, 0)    # bytes (a, b) = a * n + b: workspace (set by the planner) and weights (a = 0)
    size: tuple = (0, 0)      # bytes (a, b) of a workspace tensor


@dataclass
class Ref:
    """A tensor as a kernel operand: its storage, dtype and shape."""
    storage: Storage
    dtype: str
    shape: tuple

    @property
    def type(self) -> TensorType:
        return TensorType(self.dtype, self.shape)


@dataclass
class Launch:
    kernel: str
    args: dict
    node: str = ""            # the node it computes, for messages


@dataclass
class Binding:
    """A graph input or output as sessions bind it (runtime/bind.hpp, the Python Runner): its logical shape is
    [outer..., rows, inner...] around the row axis — the axis holding N, else axis 0 (a scalar has none) — and
    the caller gives one FeatureRef (address, dtype, stride between rows) per position off that axis."""
    name: str
    dtype: str
    shape: tuple

    @property
    def row_axis(self) -> int:
        return next((a for a, d in enumerate(self.shape) if isinstance(d, SymN)), 0)

    @property
    def rows(self):
        """The row axis' extent: an int, or c·N."""
        return self.shape[self.row_axis] if self.shape else 1

    @property
    def inner(self) -> int:
        return prod(self.shape[self.row_axis + 1:]) if self.shape else 1

    @property
    def features(self) -> int:
        if not self.shape:
            return 1
        return prod(self.shape[:self.row_axis]) * self.inner


@dataclass
class Plan:
    inputs: list                      # Binding per graph input
    outputs: list                     # Binding per graph output
    dynamic: bool = True              # whether tensors depend on the element count n
    launches: list = field(default_factory=list)
    weights: list = field(default_factory=list)    # (byte offset, array) in the weight bytes
    weight_bytes: int = 0
    workspace: tuple = (0, 0)         # (a, b): a * n + b bytes, set by the planner
    tensors: dict = field(default_factory=dict)    # name -> Ref, every tensor of the graph
    buffers: list = field(default_factory=list)    # the workspace Storages, one per intermediate tensor
    packed: list = field(default_factory=list)     # (weight offset, K, N, packed offset): codegen/pack_weights.py
    packed_bytes: int = 0                          # bytes of packed weights after the weight bytes


WRITTEN = ("y", "out", "values", "indices")    # the launch arguments a kernel writes; every other Ref is read


def reads(launch: Launch) -> list:
    """The Refs a launch reads (arguments other than WRITTEN, lists of them included)."""
    out = []
    for key, value in launch.args.items():
        if key in WRITTEN:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, Ref):
                out.append(v)
    return out


def written(launch: Launch) -> list:
    """The Refs a launch writes (one for most kernels; TopK writes values and indices)."""
    return [launch.args[k] for k in WRITTEN if k in launch.args]


def nbytes(dtype: str, shape: tuple) -> tuple:
    """(a, b) bytes of a tensor: a * n + b."""
    a, b = coefficients(size(shape))
    return a * dtypes.itemsize(dtype), b * dtypes.itemsize(dtype)


def workspace_buffer(plan: Plan, shape: tuple, dtype: str) -> Ref:
    """A new intermediate of `shape` and `dtype` in the workspace (its offset set later by the memory planner)."""
    storage = Storage("workspace", size=nbytes(dtype, shape))
    plan.buffers.append(storage)
    return Ref(storage, dtype, tuple(shape))


def add_weight(plan: Plan, array: np.ndarray) -> Ref:
    """`array` appended to the weight bytes (aligned to WEIGHT_ALIGNMENT), as a Ref."""
    array = np.ascontiguousarray(array)
    offset = -(-plan.weight_bytes // WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT
    plan.weights.append((offset, array))
    plan.weight_bytes = offset + array.nbytes
    return Ref(Storage("weights", offset=(0, offset)), array.dtype.name, tuple(array.shape))


class Context:
    """What an operator function sees while it is lowered (see sofie_soa.compiler.ops)."""

    dry = False

    def __init__(self, plan: Plan, graph: Graph, node):
        self.plan, self.graph, self.node = plan, graph, node
        self.where = node.describe()
        self.opset = node.opset or graph.opset

    def read(self, t: Tensor) -> Ref:
        """The tensor as a kernel operand; a constant joins the weight bytes on its first read."""
        ref = self.plan.tensors.get(t.name)
        if ref is None:
            if t.value is None:
                raise ModelError(f"{self.where}: input '{t.name}' is not produced before it is used")
            if is_symbolic(t.value):
                raise UnsupportedOperator(f"{self.where}: input '{t.name}' holds values that depend on the element "
                                          f"count N ({t.value.tolist()}); only shapes may depend on N")
            ref = self.constant(t.value)
            self.plan.tensors[t.name] = ref
        return Ref(ref.storage, t.dtype, tuple(t.shape))

    def constant(self, array: np.ndarray) -> Ref:
        return add_weight(self.plan, np.asarray(array))

    def workspace(self, shape: tuple, dtype: str) -> Ref:
        return workspace_buffer(self.plan, shape, dtype)

    def output(self, i: int, shape: tuple, dtype: str) -> Ref:
        name = self.node.outputs[i]
        shape = tuple(shape)
        if name in self.graph.outputs:
            j = self.graph.outputs.index(name)
            ref = Ref(Storage("output", index=j), dtype, shape)
        else:
            ref = workspace_buffer(self.plan, shape, dtype)
        self.plan.tensors[name] = ref
        return ref

    def alias(self, i: int, source: Tensor, shape: tuple) -> None:
        """Output i is `source` with another shape: shares its storage unless data must move to a graph output
        (or out of the caller's memory, whose layout is not row-major)."""
        name = self.node.outputs[i]
        src = self.read(source)
        if name not in self.graph.outputs and src.storage.kind in ("workspace", "weights"):
            self.plan.tensors[name] = Ref(src.storage, source.dtype, tuple(shape))
            return
        out = self.output(i, shape, source.dtype)
        copy(self, Ref(src.storage, source.dtype, tuple(shape)), out)

    def launch(self, kernel: str, **args) -> None:
        self.plan.launches.append(Launch(kernel, args, self.where))


def copy(ctx, source: Ref, target: Ref) -> None:
    """target = source element by element (same shape; converts the dtype)."""
    from sofie_soa.codegen.index_maps import elementwise
    from sofie_soa.codegen.launches import Functor
    ctx.launch("map", op=Functor("Identity"), out=target, ins=[source], map=elementwise(target.shape, source.shape))


def lower(graph: Graph) -> Plan:
    """Storage and launches for every node of a typed graph (passes/infer.py has run). Raises
    UnsupportedOperator naming the node, op type and opset for operators without a kernel."""
    plan = Plan([Binding(n, graph.types[n].dtype, graph.types[n].shape) for n in graph.inputs],
                [Binding(n, graph.types[n].dtype, graph.types[n].shape) for n in graph.outputs],
                dynamic=graph.dynamic)
    for i, name in enumerate(graph.inputs):
        plan.tensors[name] = Ref(Storage("input", index=i), graph.types[name].dtype, graph.types[name].shape)
    for node in graph.nodes:
        fn = REGISTRY.get(node.op_type)
        if fn is None:
            raise UnsupportedOperator(f"{node.describe()}: operator {node.op_type} (opset {node.opset}) is not "
                                      f"supported")
        ctx = Context(plan, graph, node)
        fn(ctx, *arguments(graph, node), **keywords(fn, node, ctx))
    for j, name in enumerate(graph.outputs):      # outputs that are graph inputs or constants: copied
        ref = plan.tensors.get(name)
        if ref is None or ref.storage.kind != "output" or ref.storage.index != j:
            ctx = Context(plan, graph, _OutputCopy(name, graph.opset))
            t = tensor(graph, name)
            copy(ctx, ctx.read(t), Ref(Storage("output", index=j), t.dtype, t.shape))
    return plan


@dataclass
class _OutputCopy:
    """Stands in for a node where a graph output is copied from an input, a constant or another output."""
    name: str
    opset: int

    def describe(self) -> str:
        return f"graph output '{self.name}'"


def tensor(graph: Graph, name: str) -> Tensor:
    t = graph.types[name]
    return Tensor(name, t.dtype, t.shape, graph.constants.get(name))


def arguments(graph: Graph, node) -> list:
    """The node's inputs as Tensors (None for omitted optional inputs; trailing omitted ones dropped)."""
    args = [None if not i else tensor(graph, i) for i in node.inputs]
    while args and args[-1] is None:
        args.pop()
    return args


def keywords(fn, node, ctx) -> dict:
    """The node's attributes as keyword arguments of its operator function. An attribute spelled like one of the
    function's inputs (an older opset's attribute form of an input: Pad-2 `pads`, Split-2 `split`, Slice-1
    `starts`, Clip-6 `min`, Unsqueeze-1 `axes` ...) or like a Python keyword or builtin the function shadows
    (`broadcast`) gets a trailing underscore. ModelError names an attribute the function does not know."""
    params = inspect.signature(fn).parameters
    inputs = {name for name, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)}
    catch_all = any(p.kind == p.VAR_KEYWORD for p in params.values())
    out = {}
    for name, value in node.attrs.items():
        key = name + "_" if name in inputs or (name not in params and name + "_" in params) else name
        if key not in params and not catch_all:
            raise ModelError(f"{ctx.where}: attribute '{name}' of {node.op_type} (opset {ctx.opset}) is not supported")
        out[key] = value
    return out
