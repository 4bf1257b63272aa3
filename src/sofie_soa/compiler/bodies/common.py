"""What every body builder shares: the opset bodies are written at, Constant nodes, and the FunctionProto."""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

OPSET = 18


def constant(name: str, value) -> object:
    """A Constant node making tensor `name` of `value` (a NumPy array, its dtype kept)."""
    value = np.asarray(value)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def ints(name: str, values) -> object:
    """A Constant node making the int64 vector `name` (axes, pads, shapes)."""
    return constant(name, np.asarray(list(values), dtype=np.int64))


def function(name: str, inputs: list, outputs: list, nodes: list):
    """The FunctionProto of a body: `nodes` at OPSET, formal inputs and outputs by name."""
    return helper.make_function("", name, inputs, outputs, nodes, [helper.make_opsetid("", OPSET)])


def static_spatial(t) -> tuple | None:
    """The spatial extents D1, ... of a [N, C, D1, ...] tensor type when all are known, else None."""
    if t is None or len(t.shape) < 3:
        return None
    try:
        return tuple(int(d) for d in t.shape[2:])
    except TypeError:
        return None
