"""Operators: each a function whose signature is the ONNX operator's — inputs as positional Tensor arguments
(None for an omitted optional input), attributes as keyword arguments with the ONNX defaults — grouped one family
per module. A function declares its outputs' types (ctx.output) and wires kernel launches (ctx.launch); run with
a dry context it is the operator's type inference (passes/infer.py), with the lowering context its code
generation (codegen/lowering.py). Operators change between opsets where the function reads ctx.opset.

The context an operator sees (sofie_soa.codegen.lowering.Context, or the dry one):
  ctx.where / ctx.opset / ctx.node          the node, for messages; its opset
  ctx.output(i, shape, dtype)               declares output i, returns where it is written (a Ref)
  ctx.alias(i, tensor, shape)               output i is `tensor` reshaped: shares its storage when it can
  ctx.read(tensor)                          `tensor` as a kernel operand (constants join the weights)
  ctx.workspace(shape, dtype)               a temporary tensor in the workspace
  ctx.launch(kernel, **arguments)           one kernel launch (codegen/launches.py formats each kind)
  ctx.dry                                   True during type inference: no storage exists
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sofie_soa.compiler.symbolic import size

REGISTRY: dict[str, Callable] = {}


@dataclass
class Tensor:
    """An operator input: its name, dtype, shape (ints and SymN) and, when known at compile time, its value
    (a NumPy array; an object array where it holds multiples of N)."""
    name: str
    dtype: str
    shape: tuple
    value: np.ndarray | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self):
        return size(self.shape)

    def ints(self, what: str, ctx) -> list:
        """The value as a list of Python ints (SymN kept): ModelError naming `what` when it is not known at compile
        time."""
        from sofie_soa.compiler.errors import ModelError
        if self.value is None:
            raise ModelError(f"{ctx.where}: {what} ('{self.name}') must be known at compile time (a constant, or "
                             f"computed from constants and shapes)")
        return [v if not isinstance(v, (np.integer, np.bool_)) else int(v) for v in np.asarray(self.value).reshape(-1)]


def op(*op_types: str):
    """Registers an operator function under one or more ONNX op types."""
    def register(fn):
        for t in op_types:
            REGISTRY[t] = fn
        return fn
    return register


from sofie_soa.compiler.ops import (  # noqa: E402,F401  (registration)
    binary, cast, dense, elementwise, generators, indexing, linalg, movement, normalization, reduce, selection,
    shape, softmax)
