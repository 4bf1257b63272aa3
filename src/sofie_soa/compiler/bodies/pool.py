"""The pools in ONNX operators (bodies/__init__.py says what a body is): the input padded with the reduction's
identity, spatially flattened, every window read by one Gather of constant indices [P, K] (windows.py), then
reduced over the window cells.

  MaxPool-1/8/10/11/12/22     X [N, C, D1, ...] -> Y [N, C, O1, ...], max over each window (pads read as the
                              dtype's lowest value); dilations, ceil_mode; Indices, the flat index of each
                              window's first maximum in X, storage_order 0 or 1 (ONNX MaxPool-22)
  AveragePool-1/7/10/11/19/22 mean over the window cells inside the input, or inside input and pads with
                              count_include_pad (ONNX AveragePool-22)
  LpPool-1/2/11/18/22         (Σ |x|^p)^(1/p) over each window, p default 2 (ONNX LpPool-22)
  GlobalAveragePool, GlobalMaxPool, GlobalLpPool   the same over all of D1, ... (keeping them as extents 1)
  MaxUnpool-9/11/22           X, I (MaxPool's Indices) [N, C, D1, ...], output_shape -> Y: zeros with X's values
                              at the flat indices I, one ScatterElements; extents (D − 1)·s + k − pb − pe unless
                              output_shape (known at compile time) gives them (ONNX MaxUnpool-22). With an
                              output_shape, I indexes that shape, as in onnxruntime and PyTorch's max_unpool
                              (onnx's reference decodes I in the default extents and pads the result instead)
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from sofie_soa.compiler import dtypes
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


def _indices_nodes(node: Node, x, win) -> list:
    """Nodes computing MaxPool's Indices [N, C, O1, ...] (int64) from 'cells': the first maximum's window cell
    (ArgMax), its position in X's spatial axes (row-major, column-major with storage_order 1) by a constant
    table, plus (n · C + c) · D1 · ... (ONNX MaxPool-12)."""
    spatial, channels = win.spatial, int(x.shape[1])
    sites = int(np.prod(spatial))
    coords = win.positions() - np.asarray(win.pads_begin)            # [P, K, rank] in X's coordinates
    inside = np.all((coords >= 0) & (coords < np.asarray(spatial)), axis=-1)
    order = "F" if node.attrs.get("storage_order", 0) else "C"
    flat = np.ravel_multi_index(tuple(np.moveaxis(np.where(inside[..., None], coords, 0), -1, 0)), spatial,
                                order=order)
    positions, cells = flat.shape
    return [constant("cell_sites", flat.reshape(-1).astype(np.int64)),
            constant("row_starts", (np.arange(positions) * cells).astype(np.int64)),
            constant("channel_starts", (np.arange(channels) * sites).reshape(channels, 1).astype(np.int64)),
            constant("image_sites", np.asarray(channels * sites, np.int64)), ints("shape_first", [0]),
            ints("batch_shape", [-1, 1, 1]), constant("zero", np.asarray(0, np.int64)),
            constant("one", np.asarray(1, np.int64)),
            helper.make_node("ArgMax", ["cells"], ["cell"], axis=3, keepdims=0),                # [N, C, P]
            helper.make_node("Add", ["cell", "row_starts"], ["cell_flat"]),
            helper.make_node("Gather", ["cell_sites", "cell_flat"], ["site"], axis=0),
            helper.make_node("Add", ["site", "channel_starts"], ["in_image"]),
            helper.make_node("Shape", ["X"], ["x_shape"]),
            helper.make_node("Gather", ["x_shape", "zero"], ["images"], axis=0),
            helper.make_node("Range", ["zero", "images", "one"], ["image"]),
            helper.make_node("Mul", ["image", "image_sites"], ["image_start"]),
            helper.make_node("Reshape", ["image_start", "batch_shape"], ["image_starts"]),
            helper.make_node("Add", ["in_image", "image_starts"], ["flat_indices"]),
            helper.make_node("Reshape", ["flat_indices", "y_shape"], ["Indices"])]


def max_pool(node: Node, input_types: list):
    x = input_types[0]
    found = None if x is None else _windows(node, x, _lowest(x.dtype))
    if found is None:
        return None
    nodes, win = found
    nodes += [helper.make_node("ReduceMax", ["cells", "cell_axis"], ["maxima"], keepdims=0),
              helper.make_node("Reshape", ["maxima", "y_shape"], ["Y"])]
    if len(node.outputs) > 1 and node.outputs[1]:
        nodes += _indices_nodes(node, x, win)
    return function("MaxPool", ["X"], ["Y", "Indices"], nodes)


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


def max_unpool(node: Node, input_types: list):
    x = input_types[0]
    spatial = static_spatial(x)
    if spatial is None or "kernel_shape" not in node.attrs:
        return None
    rank = len(spatial)
    kernel = [int(k) for k in node.attrs["kernel_shape"]]
    strides = [int(v) for v in node.attrs.get("strides", [1] * rank)]
    pads = [int(v) for v in node.attrs.get("pads", [0] * 2 * rank)]
    extents = [(d - 1) * s + k - pads[i] - pads[i + rank] for i, (d, s, k) in enumerate(zip(spatial, strides, kernel))]
    shape = input_types[2] if len(input_types) > 2 else None
    if shape is not None:
        if shape.value is None:
            raise ModelError(f"{node.describe()}: MaxUnpool's output_shape ('{shape.name}') must be known at compile "
                             f"time (it is the output's shape)")
        extents = [int(v) for v in np.asarray(shape.value).reshape(-1)[2:]]
    zero = helper.make_tensor("zero", dtypes.to_onnx(x.dtype), [1], [0])
    nodes = [ints("two", [2]), ints("start", [0]), ints("extents", extents), ints("flat", [1, -1]),
             helper.make_node("Shape", ["X"], ["x_shape"]),
             helper.make_node("Slice", ["x_shape", "start", "two"], ["batch_channels"]),
             helper.make_node("Concat", ["batch_channels", "extents"], ["y_shape"], axis=0),
             helper.make_node("ConstantOfShape", ["y_shape"], ["zeros"], value=zero),
             helper.make_node("Reshape", ["zeros", "flat"], ["flat_zeros"]),
             helper.make_node("Reshape", ["X", "flat"], ["flat_x"]),
             helper.make_node("Reshape", ["I", "flat"], ["flat_i"]),
             helper.make_node("ScatterElements", ["flat_zeros", "flat_i", "flat_x"], ["scattered"], axis=1),
             helper.make_node("Reshape", ["scattered", "y_shape"], ["output"])]
    return function("MaxUnpool", ["X", "I", "output_shape"], ["output"], nodes)
