"""Bodies of the normalization operators (bodies/__init__.py says what a body builder is).

  InstanceNormalization-6/22  input [N, C, D1, ...], scale [C], B [C] -> scale · (x − mean) / sqrt(var + epsilon)
                              + B, mean and (biased) variance over D1, ... per (n, c)   (ONNX InstanceNormalization)
  LpNormalization-1/22        input, axis (default −1), p ∈ {1, 2} -> x / ‖x‖_p along axis, 0 where the norm is 0
                              (as the ONNX reference implementation computes it)
  LRN-1/13                    X [N, C, D1, ...] -> X / (bias + alpha / size · square_sum) ^ beta, square_sum the
                              sum of X² over channels c − floor((size − 1) / 2) ... c + ceil((size − 1) / 2)
                              (ONNX LRN-13); the channel window is a Gather of constant indices
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from sofie_soa.compiler.bodies.common import constant as _constant
from sofie_soa.compiler.bodies.common import function as _function
from sofie_soa.compiler.bodies.common import ints
from sofie_soa.compiler.ir import Node


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


def lrn(node: Node, input_types: list):
    x = input_types[0]
    if x is None or len(x.shape) < 3 or "size" not in node.attrs:
        return None
    try:
        channels, rest = int(x.shape[1]), [int(d) for d in x.shape[2:]]
    except TypeError:
        return None
    size = int(node.attrs["size"])
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    alpha, beta, bias = (np.asarray(node.attrs.get(k, d), dtype=x.dtype)
                         for k, d in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0)))
    window = np.arange(channels)[:, None] + np.arange(size)[None, :]      # [C, size] into the padded channels
    nodes = [
        ints("flat", [0, channels, int(np.prod(rest))]), ints("pads", [0, before, 0, 0, after, 0]),
        ints("shape", [0, channels, *rest]), ints("window_axis", [2]),
        _constant("window", window.astype(np.int64)),
        _constant("scale", alpha / size), _constant("bias", bias), _constant("beta", beta),
        helper.make_node("Mul", ["X", "X"], ["squares"]),
        helper.make_node("Reshape", ["squares", "flat"], ["flat_squares"]),
        helper.make_node("Pad", ["flat_squares", "pads"], ["padded"]),
        helper.make_node("Gather", ["padded", "window"], ["windows"], axis=1),
        helper.make_node("ReduceSum", ["windows", "window_axis"], ["sums"], keepdims=0),
        helper.make_node("Reshape", ["sums", "shape"], ["square_sum"]),
        helper.make_node("Mul", ["square_sum", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], ["base"]),
        helper.make_node("Pow", ["base", "beta"], ["divisor"]),
        helper.make_node("Div", ["X", "divisor"], ["Y"]),
    ]
    return _function("LRN", ["X"], ["Y"], nodes)
