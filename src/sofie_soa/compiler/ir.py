"""The intermediate representation: an ONNX graph with constants as NumPy arrays and a symbolic element count.

Shapes are tuples whose entries are ints or the symbol N (the element count, known only at run time: the
number of elements of the SoA collection). Constants (initializers, Constant nodes, folded results) are float32
NumPy arrays held in Graph.constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N = "N"


@dataclass
class Node:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)
    name: str = ""

    def describe(self) -> str:
        return f"node '{self.name or self.outputs[0]}' ({self.op_type})"


@dataclass
class Graph:
    nodes: list[Node]
    inputs: list[str]                       # graph input names, in order
    outputs: list[str]                      # graph output names, in order
    shapes: dict[str, tuple]                # known shapes: graph inputs (and outputs when declared)
    input_dtypes: dict[str, str]
    constants: dict[str, np.ndarray]
    opset: int

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producer(self, name: str) -> Node | None:
        return next((n for n in self.nodes if name in n.outputs), None)

    def replace_uses(self, old: str, new: str) -> None:
        """Points every consumer (and the graph outputs) of `old` at `new`."""
        for node in self.nodes:
            node.inputs = [new if i == old else i for i in node.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]
