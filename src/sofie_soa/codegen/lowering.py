"""Lowers an optimised IR graph to a Plan: where every tensor lives and which kernel launches compute it.

Storage kinds: graph inputs are read in place from the caller's features (StridedIn); graph outputs are written
in place into the caller's features (StridedOut); intermediates live in the workspace (one float32 buffer, each
tensor at an offset linear in n, placed by the memory planner pass, codegen/memory_planner.py); constants live in
one float32 weight array. Reshape-like operators alias their input's storage when no data has to move.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ir import N, Graph
from sofie_soa.compiler.ops import REGISTRY, Tensor
from sofie_soa.compiler.ops.shapes import size


@dataclass
class Storage:
    kind: str                 # "input" | "output" | "workspace" | "weights"
    index: int = 0            # graph input/output number
    offset: tuple = (0, 0)    # workspace: (a, b) meaning a * n + b floats, set by the planner; weights: (0, b)
    size: tuple = (0, 0)      # workspace: (a, b), a * n + b floats


@dataclass
class Ref:
    """A tensor as a kernel argument: its storage and shape."""
    storage: Storage
    shape: tuple


@dataclass
class Launch:
    kernel: str
    args: dict


@dataclass
class Plan:
    inputs: list                      # (name, shape, dtype)
    outputs: list                     # (name, shape)
    launches: list = field(default_factory=list)
    weights: list = field(default_factory=list)    # float32 arrays, concatenated in this order
    weight_count: int = 0
    workspace: tuple = (0, 0)         # (a, b): a * n + b floats, set by the planner
    tensors: dict = field(default_factory=dict)    # name -> Ref, every tensor of the graph
    buffers: list = field(default_factory=list)    # the workspace Storages, one per intermediate tensor
    packed: list = field(default_factory=list)     # (weight offset, K, N, packed offset): codegen/pack_weights.py
    packed_count: int = 0                          # floats of packed weights after the weight array


def features(shape) -> int:
    """Features per element of a graph input or output of `shape` ([rows, d1, ...] -> d1 * ...)."""
    factor, symbolic = size(shape[1:])
    if symbolic:
        raise ModelError(f"shape {shape}: the element count must be the first dimension")
    return factor


def workspace_buffer(plan: Plan, shape: tuple) -> Ref:
    """A new intermediate of `shape` in the workspace (its offset set later by the memory planner)."""
    factor, symbolic = size(shape)
    storage = Storage("workspace", size=(factor, 0) if symbolic else (0, factor))
    plan.buffers.append(storage)
    return Ref(storage, shape)


class Context:
    """What an operator function sees while it is lowered (see sofie_soa.compiler.ops)."""

    def __init__(self, plan: Plan, graph: Graph, node):
        self.plan, self.graph, self.node = plan, graph, node
        self.where = node.describe()
        self.opset = graph.opset

    def read(self, t: Tensor, rows_of_last_dim: bool = False) -> Ref:
        """The tensor as a kernel input; a constant joins the weight array on its first read."""
        if t.name not in self.plan.tensors:
            self.plan.tensors[t.name] = self.constant(t.value)
        ref = self.plan.tensors[t.name]
        if rows_of_last_dim and ref.storage.kind in ("input", "output") and \
                features(ref.shape) != (t.shape[-1] if len(t.shape) > 1 else 1):
            raise ModelError(f"{self.where}: input '{t.name}' of shape {t.shape} must be [N, features] here")
        return Ref(ref.storage, t.shape)

    def constant(self, array: np.ndarray) -> Ref:
        array = np.ascontiguousarray(array, dtype=np.float32)
        storage = Storage("weights", offset=(0, self.plan.weight_count))
        self.plan.weights.append(array.reshape(-1))
        self.plan.weight_count += array.size
        return Ref(storage, array.shape)

    def output(self, i: int, shape: tuple) -> Ref:
        name = self.node.outputs[i]
        if name in self.graph.outputs:
            j = self.graph.outputs.index(name)
            storage = Storage("output", index=j)
            self.plan.outputs[j] = (name, shape)
        else:
            storage = workspace_buffer(self.plan, shape).storage
        ref = Ref(storage, shape)
        self.plan.tensors[name] = ref
        return ref

    def alias(self, i: int, source: Tensor, shape: tuple) -> None:
        """Output i is `source` with another shape: shares its storage unless data must move to a graph output."""
        name = self.node.outputs[i]
        src = self.plan.tensors[source.name]
        if name not in self.graph.outputs and src.storage.kind in ("workspace", "weights"):
            self.plan.tensors[name] = Ref(src.storage, shape)
            return
        out = self.output(i, shape)
        self.launch("unary", x=Ref(src.storage, source.shape), y=out, count=shape, op=("identity", 0.0, 0.0))

    def launch(self, kernel: str, **args) -> None:
        self.plan.launches.append(Launch(kernel, args))


def lower(graph: Graph) -> Plan:
    """Assigns storage and launches for every node. Raises UnsupportedOperator naming the node, op type and
    opset for operators without a kernel, ModelError for unsupported shapes."""
    plan = Plan([(n, graph.shapes[n], graph.input_dtypes[n]) for n in graph.inputs], [None] * len(graph.outputs))
    for i, name in enumerate(graph.inputs):
        features(graph.shapes[name])
        plan.tensors[name] = Ref(Storage("input", index=i), graph.shapes[name])
    for node in graph.nodes:
        fn = REGISTRY.get(node.op_type)
        if fn is None:
            raise UnsupportedOperator(f"{node.describe()}: operator {node.op_type} (opset {graph.opset}) is not "
                                      f"supported")
        ctx = Context(plan, graph, node)
        args = [None if not i else _tensor(plan, graph, ctx, i) for i in node.inputs]
        while args and args[-1] is None:
            args.pop()
        fn(ctx, *args, **_keywords(fn, node, ctx))
    for j, name in enumerate(graph.outputs):
        if plan.outputs[j] is None:
            raise ModelError(f"graph output '{name}' is not computed by any node (a constant or an input)")
        if plan.outputs[j][1][0] != (graph.shapes[graph.inputs[0]][0] if graph.inputs else N):
            raise ModelError(f"graph output '{name}' of shape {plan.outputs[j][1]} does not have the element "
                             f"count first")
        features(plan.outputs[j][1])
    return plan


def _keywords(fn, node, ctx) -> dict:
    """The node's attributes as keyword arguments of its operator function; an attribute whose name is a Python
    name in the function's module (broadcast) is spelled with a trailing underscore. ModelError names an
    attribute the function does not know."""
    params = inspect.signature(fn).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return dict(node.attrs)
    keywords = {}
    for name, value in node.attrs.items():
        key = name if name in params else name + "_"
        if key not in params:
            raise ModelError(f"{ctx.where}: attribute '{name}' of {node.op_type} (opset {ctx.opset}) is not supported")
        keywords[key] = value
    return keywords


def _tensor(plan, graph, ctx, name) -> Tensor:
    if name in graph.constants:
        value = graph.constants[name]
        return Tensor(name, tuple(value.shape), value)
    if name not in plan.tensors:
        raise ModelError(f"{ctx.where}: input '{name}' is not produced before it is used")
    return Tensor(name, plan.tensors[name].shape)
