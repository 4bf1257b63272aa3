"""The intermediate representation: an ONNX graph whose every tensor has a type (element dtype and a shape of
ints and multiples of the element count N, compiler/symbolic.py), and whose values known at compile time
(initializers, Constant nodes, folded results, shape values over N) are NumPy arrays.

One place for each fact: Graph.types holds every tensor's type (graph inputs from the model; the rest from the
type-inference pass), Graph.constants every value known at compile time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.symbolic import N, SymN, size  # noqa: F401  (re-exported: ir.N is the element count)


@dataclass(frozen=True)
class TensorType:
    """A tensor's element dtype (a NumPy name: float32, int64, bool, ...) and shape (ints and SymN)."""
    dtype: str
    shape: tuple

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self):
        """Elements: an int or c·N."""
        return size(self.shape)

    @property
    def itemsize(self) -> int:
        return dtypes.itemsize(self.dtype)

    def __str__(self) -> str:
        return f"{self.dtype}[{', '.join(map(str, self.shape))}]"


@dataclass
class Node:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)
    name: str = ""
    opset: int = 0            # the version of the standard domain this node follows

    def describe(self) -> str:
        return f"node '{self.name or (self.outputs[0] if self.outputs else '?')}' ({self.op_type})"


@dataclass
class Graph:
    nodes: list[Node]
    inputs: list[str]                       # graph input names, in order
    outputs: list[str]                      # graph output names, in order
    types: dict[str, TensorType]            # every tensor's type
    constants: dict[str, np.ndarray]        # values known at compile time (object arrays hold SymN)
    opset: int
    element_count: str | None = None        # what the model calls N (a dim_param such as "batch"), if dynamic

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producer(self, name: str) -> Node | None:
        return next((n for n in self.nodes if name in n.outputs), None)

    def replace_uses(self, old: str, new: str) -> None:
        """Points every consumer (and the graph outputs) of `old` at `new`."""
        for node in self.nodes:
            node.inputs = [new if i == old else i for i in node.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def fresh(self, base: str) -> str:
        """A tensor name not yet used in the graph, derived from `base`."""
        taken = set(self.types) | set(self.constants) | {o for n in self.nodes for o in n.outputs}
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}#{k}"
        return name

    def add_constant(self, base: str, value: np.ndarray) -> str:
        """A new constant named after `base`; returns its name."""
        name = self.fresh(base)
        self.constants[name] = np.asarray(value)
        self.types[name] = TensorType(self.constants[name].dtype.name, tuple(self.constants[name].shape))
        return name

    @property
    def dynamic(self) -> bool:
        return self.element_count is not None
