"""Function bodies written here, in ONNX operators, for operators whose schemas give none (functions.py expands
them like the schemas' own bodies). Each builder takes the node and its input types and returns a FunctionProto at
opset 18 with the node's attributes already applied, or None where the body does not apply.

  InstanceNormalization-6/22  input [N, C, D1, ...], scale [C], B [C] -> scale · (x − mean) / sqrt(var + epsilon)
                              + B, mean and (biased) variance over D1, ... per (n, c)   (ONNX InstanceNormalization)
  LpNormalization-1/22        input, axis (default −1), p ∈ {1, 2} -> x / ‖x‖_p along axis, 0 where the norm is 0
                              (as the ONNX reference implementation computes it)
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from sofie_soa.compiler.ir import Node

OPSET = 18


def _constant(name: str, value: np.ndarray):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def _function(name: str, inputs: list, outputs: list, nodes: list):
    return helper.make_function("", name, inputs, outputs, nodes, [helper.make_opsetid("", OPSET)])


def instance_normalization(node: Node, input_types: list):
    x = input_types[0]
    if x is None or len(x.shape) < 3:
        return None
    rank = len(x.shape)
    eps = np.asarray(node.attrs.get("epsilon", 1e-5), dtype=x.dtype)
    nodes = [
        _constant("axes", np.arange(2, rank, dtype=np.int64)),
        _constant("channel_axes", np.arange(1, rank - 1, dtype=np.int64)),
        _constant("epsilon", eps),
        helper.make_node("ReduceMean", ["input", "axes"], ["mean"], keepdims=1),
        helper.make_node("Sub", ["input", "mean"], ["centred"]),
        helper.make_node("Mul", ["centred", "centred"], ["squares"]),
        helper.make_node("ReduceMean", ["squares", "axes"], ["variance"], keepdims=1),
        helper.make_node("Add", ["variance", "epsilon"], ["shifted"]),
        helper.make_node("Sqrt", ["shifted"], ["deviation"]),
        helper.make_node("Div", ["centred", "deviation"], ["normalized"]),
        helper.make_node("Unsqueeze", ["scale", "channel_axes"], ["scale_c"]),
        helper.make_node("Unsqueeze", ["B", "channel_axes"], ["B_c"]),
        helper.make_node("Mul", ["normalized", "scale_c"], ["scaled"]),
        helper.make_node("Add", ["scaled", "B_c"], ["output"]),
    ]
    return _function("InstanceNormalization", ["input", "scale", "B"], ["output"], nodes)


def lp_normalization(node: Node, input_types: list):
    x = input_types[0]
    p = node.attrs.get("p", 2)
    if x is None or p not in (1, 2):
        return None
    nodes = [
        _constant("axes", np.array([node.attrs.get("axis", -1)], dtype=np.int64)),
        _constant("zero", np.zeros((), dtype=x.dtype)),
        helper.make_node("ReduceL2" if p == 2 else "ReduceL1", ["input", "axes"], ["norm"], keepdims=1),
        helper.make_node("Equal", ["norm", "zero"], ["is_zero"]),
        helper.make_node("Div", ["input", "norm"], ["quotient"]),
        helper.make_node("Where", ["is_zero", "zero", "quotient"], ["output"]),
    ]
    return _function("LpNormalization", ["input"], ["output"], nodes)


BODIES = {"InstanceNormalization": instance_normalization, "LpNormalization": lp_normalization}
