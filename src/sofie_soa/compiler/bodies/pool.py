"""The pools in ONNX operators (bodies/__init__.py says what a body is): the input padded with the reduction's
identity, spatially flattened, every window read by one Gather of constant indices [P, K] (windows.py), then
reduced over the window cells.

  MaxPool-1/8/10/11/12/22     X [N, C, D1, ...] -> Y [N, C, O1, ...], max over each window (pads read as the
                              dtype's lowest value); dilations, ceil_mode (ONNX MaxPool-22). The Indices output
                              is refused.
  AveragePool-1/7/10/11/19/22 mean over the window cells inside the input, or inside input and pads with
                              count_include_pad (ONNX AveragePool-22)
  LpPool-1/2/11/18/22         (Σ |x|^p)^(1/p) over each window, p default 2 (ONNX LpPool-22)
  GlobalAveragePool, GlobalMaxPool, GlobalLpPool   the same over all of D1, ... (keeping them as extents 1)
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from sofie_soa.compiler.bodies.common import constant, function, ints, static_spatial
from sofie_soa.compiler.bodies.windows import window
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node


def _lowest(dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    return np.asarray(-np.inf if dtype.kind == "f" else np.iinfo(dtype).min, dtype=dtype)


def _windows(node: Node, x, fill=None) -> tuple | None:
    """Nodes reading every window of X as 'cells' [N, C, P, K] (pads read as `fill`, default 0), and the Window;
    None where X or its spatial extents are unknown."""
    spatial = static_spatial(x)
    if spatial is None or "kernel_shape" not in node.attrs:
        return None
    win = window(node, spatial, tuple(int(k) for k in node.attrs["kernel_shape"]),
                 ceil_mode=bool(node.attrs.get("ceil_mode", 0)))
    fill = np.zeros((), dtype=x.dtype) if fill is None else fill
    nodes = [ints("pads", [0, 0, *win.pads_begin, 0, 0, *win.tail]), constant("fill", fill),
             ints("flat", [0, 0, int(np.prod(win.padded))]), constant("windows", win.gather_indices()),
             ints("cell_axis", [3]), ints("y_shape", [0, 0, *win.output]),
             helper.make_node("Pad", ["X", "pads", "fill"], ["padded"]),
             helper.make_node("Reshape", ["padded", "flat"], ["flat_x"]),
             helper.make_node("Gather", ["flat_x", "windows"], ["cells"], axis=2)]
    return nodes, win


def max_pool(node: Node, input_types: list):
    if len(node.outputs) > 1 and node.outputs[1]:
        raise ModelError(f"{node.describe()}: MaxPool's Indices output is not supported")
    x = input_types[0]
    found = None if x is None else _windows(node, x, _lowest(x.dtype))
    if found is None:
        return None
    nodes, _ = found
    nodes += [helper.make_node("ReduceMax", ["cells", "cell_axis"], ["maxima"], keepdims=0),
              helper.make_node("Reshape", ["maxima", "y_shape"], ["Y"])]
    return function("MaxPool", ["X"], ["Y"], nodes)


def average_pool(node: Node, input_types: list):
    x = input_types[0]
    found = _windows(node, x)
    if found is None:
        return None
    nodes, win = found
    counts = win.counts(bool(node.attrs.get("count_include_pad", 0)))
    nodes += [constant("counts", counts.astype(x.dtype)),
              helper.make_node("ReduceSum", ["cells", "cell_axis"], ["sums"], keepdims=0),
              helper.make_node("Div", ["sums", "counts"], ["means"]),
              helper.make_node("Reshape", ["means", "y_shape"], ["Y"])]
    return function("AveragePool", ["X"], ["Y"], nodes)


def _lp_nodes(x, p, reduce_input: str, axes: str, keepdims: int, out: str) -> list:
    """Nodes computing (Σ |x|^p)^(1/p) of `reduce_input` over `axes` into `out`."""
    if p == 1:
        return [helper.make_node("ReduceL1", [reduce_input, axes], [out], keepdims=keepdims)]
    if p == 2:
        return [helper.make_node("ReduceL2", [reduce_input, axes], [out], keepdims=keepdims)]
    return [constant("p", np.asarray(p, dtype=x.dtype)), constant("inverse_p", np.asarray(1.0 / p, dtype=x.dtype)),
            helper.make_node("Abs", [reduce_input], ["magnitudes"]),
            helper.make_node("Pow", ["magnitudes", "p"], ["powers"]),
            helper.make_node("ReduceSum", ["powers", axes], ["sums"], keepdims=keepdims),
            helper.make_node("Pow", ["sums", "inverse_p"], [out])]


def lp_pool(node: Node, input_types: list):
    x = input_types[0]
    found = _windows(node, x)
    if found is None:
        return None
    nodes, _ = found
    nodes += _lp_nodes(x, node.attrs.get("p", 2), "cells", "cell_axis", 0, "norms")
    nodes.append(helper.make_node("Reshape", ["norms", "y_shape"], ["Y"]))
    return function("LpPool", ["X"], ["Y"], nodes)


def _global(name: str, reduce: str):
    def body(node: Node, input_types: list):
        x = input_types[0]
        if x is None or len(x.shape) < 3:
            return None
        nodes = [ints("axes", range(2, len(x.shape)))]
        if reduce == "lp":
            nodes += _lp_nodes(x, node.attrs.get("p", 2), "X", "axes", 1, "Y")
        else:
            nodes.append(helper.make_node(reduce, ["X", "axes"], ["Y"], keepdims=1))
        return function(name, ["X"], ["Y"], nodes)
    return body


global_average_pool = _global("GlobalAveragePool", "ReduceMean")
global_max_pool = _global("GlobalMaxPool", "ReduceMax")
global_lp_pool = _global("GlobalLpPool", "lp")
