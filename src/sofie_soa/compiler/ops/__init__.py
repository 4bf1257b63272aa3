"""Operators: each a function whose signature is the ONNX operator's — inputs as positional Tensor arguments,
attributes as keyword arguments with the ONNX defaults — that declares its output shapes and wires kernel
launches through a lowering context (sofie_soa.codegen.lowering.Context, or a dry one for shape inference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

REGISTRY: dict[str, Callable] = {}


@dataclass
class Tensor:
    """An operator input: its name, shape (ints and the symbol N) and, for constants, its value."""
    name: str
    shape: tuple
    value: np.ndarray | None = None


def op(*op_types: str):
    """Registers an operator function under one or more ONNX op types."""
    def register(fn):
        for t in op_types:
            REGISTRY[t] = fn
        return fn
    return register


from sofie_soa.compiler.ops import dense, elementwise, shape_ops, softmax  # noqa: E402,F401  (registration)
