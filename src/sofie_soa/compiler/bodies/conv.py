"""Conv as a GEMM over gathered windows (im2col), in ONNX operators (bodies/__init__.py says what a body is).

  Conv-1/11/22  X [N, C, D1, ...], W [M, C / group, k1, ...], B [M] -> Y [N, M, O1, ...] (ONNX Conv-22;
                geometry in windows.py). The input is padded (where pads are not all zero), laid out
                channels-last [N, S, C], and one Gather of constant indices [P, K] reads every window: [N, P, K·C]
                rows (a pointwise convolution, each window one site in order, needs no Gather). With group 1 these meet the
                weight as [K·C, M] in one MatMul, which runs in the dense tiles when W is constant; with groups the
                windows are [N, group, C/group·K, P] and meet W as [group, M/group, C/group·K] in a batched MatMul.
  ConvTranspose-1/11/22  X [N, C, D1, ...], W [C, M / group, k1, ...], B [M] -> Y [N, M, O1, ...] (ONNX
                ConvTranspose-22; pads, output_padding, output_shape, auto_pad in windows.transposed_pads). Every
                input position's contribution to every kernel cell is one MatMul ([N, S, C] · [C, M·K], per
                group); a Gather of constant indices then collects, for each output position, the K contributions
                that land on it (a zero where none does), and a ReduceSum adds them (col2im).
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from sofie_soa.compiler.bodies.common import constant, function, ints, static_spatial
from sofie_soa.compiler.bodies.windows import transposed_pads, window
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node


def _operands(node: Node, input_types: list) -> tuple | None:
    """(spatial extents, X's channels, W's first two extents, kernel extents, group) when all are known, else
    None."""
    x, w = input_types[0], input_types[1]
    spatial = static_spatial(x)
    if spatial is None or w is None or len(w.shape) != len(x.shape):
        return None
    try:
        kernel = tuple(int(k) for k in node.attrs.get("kernel_shape", w.shape[2:]))
        return spatial, int(x.shape[1]), int(w.shape[0]), int(w.shape[1]), kernel, int(node.attrs.get("group", 1))
    except TypeError:
        return None


def conv(node: Node, input_types: list):
    known = _operands(node, input_types)
    if known is None:
        return None
    spatial, channels, maps, per_group, kernel, group = known
    w = input_types[1]
    if group < 1 or channels != per_group * group or maps % group:
        raise ModelError(f"{node.describe()}: X has {channels} channels and W {list(w.shape)}: with group {group} "
                         f"W needs {channels}/{group} input channels per group and a multiple of {group} maps")
    if tuple(w.shape[2:]) != kernel:
        raise ModelError(f"{node.describe()}: kernel_shape {list(kernel)} differs from W's {list(w.shape[2:])}")
    win = window(node, spatial, kernel)
    rank, cells, positions = len(spatial), int(np.prod(kernel)), int(np.prod(win.output))
    sites = int(np.prod(win.padded))
    biased = len(node.inputs) > 2 and bool(node.inputs[2])
    padded = any(win.pads_begin) or any(win.tail)
    nodes = [ints("pads", [0, 0, *win.pads_begin, 0, 0, *win.tail]),
             helper.make_node("Pad", ["X", "pads"], ["padded"])] if padded else \
        [helper.make_node("Identity", ["X"], ["padded"])]
    # a pointwise convolution (every window one site, in order: 1 x 1 kernels, stride 1) needs no Gather
    pointwise = not padded and positions == sites and np.array_equal(win.gather_indices().ravel(), np.arange(sites))
    if group == 1:
        gather = [helper.make_node("Identity", ["sites_x"], ["rows"])] if pointwise else [
            constant("windows", win.gather_indices()),
            helper.make_node("Gather", ["sites_x", "windows"], ["cells_x"], axis=1),      # [N, P, K, C]
            helper.make_node("Reshape", ["cells_x", "rows_shape"], ["rows"])]              # [N, P, K·C]
        nodes += [
            ints("flat", [0, channels, sites]), ints("rows_shape", [0, positions, cells * channels]),
            ints("w_shape", [cells * channels, maps]), ints("y_shape", [0, maps, *win.output]),
            helper.make_node("Reshape", ["padded", "flat"], ["flat_x"]),
            helper.make_node("Transpose", ["flat_x"], ["sites_x"], perm=[0, 2, 1]),        # [N, S, C]
            *gather,
            helper.make_node("Transpose", ["W"], ["w_cells"], perm=[*range(2, rank + 2), 1, 0]),
            helper.make_node("Reshape", ["w_cells", "w_shape"], ["w_matrix"]),             # [K·C, M]
            helper.make_node("MatMul", ["rows", "w_matrix"], ["product"]),                # [N, P, M]
        ]
        last = "product"
        if biased:
            nodes.append(helper.make_node("Add", ["product", "B"], ["biased"]))
            last = "biased"
        nodes += [helper.make_node("Transpose", [last], ["maps_y"], perm=[0, 2, 1]),
                  helper.make_node("Reshape", ["maps_y", "y_shape"], ["Y"])]
    else:
        depth = per_group * cells
        nodes += [
            ints("flat", [0, group, per_group, sites]), ints("cols_shape", [0, group, depth, positions]),
            ints("w_shape", [group, maps // group, depth]), ints("maps_shape", [0, maps, positions]),
            ints("y_shape", [0, maps, *win.output]), ints("bias_axes", [1]),
            helper.make_node("Reshape", ["padded", "flat"], ["flat_x"]),
            *([helper.make_node("Reshape", ["flat_x", "cols_shape"], ["cols"])] if pointwise else [
                constant("windows", win.gather_indices().T.copy()),                         # [K, P]
                helper.make_node("Gather", ["flat_x", "windows"], ["cells_x"], axis=3),   # [N, g, C/g, K, P]
                helper.make_node("Reshape", ["cells_x", "cols_shape"], ["cols"])]),
            helper.make_node("Reshape", ["W", "w_shape"], ["w_groups"]),
            helper.make_node("MatMul", ["w_groups", "cols"], ["product"]),                # [N, g, M/g, P]
            helper.make_node("Reshape", ["product", "maps_shape"], ["maps_y"]),
        ]
        last = "maps_y"
        if biased:
            nodes += [helper.make_node("Unsqueeze", ["B", "bias_axes"], ["bias"]),
                      helper.make_node("Add", ["maps_y", "bias"], ["biased"])]
            last = "biased"
        nodes.append(helper.make_node("Reshape", [last, "y_shape"], ["Y"]))
    return function("Conv", ["X", "W", "B"], ["Y"], nodes)


def _landing_indices(spatial, kernel, strides, dilations, begin, output, maps: int) -> np.ndarray:
    """[maps, P, K] int64: where contribution (input position i, map m, kernel cell k) of output position p lies in
    a flat [S · maps · K] array, i·maps·K + m·K + k, or S·maps·K (a zero) where no input position lands there."""
    rank = len(spatial)
    out = np.stack(np.meshgrid(*[np.arange(o) for o in output], indexing="ij"), -1).reshape(-1, 1, rank)
    cells = np.stack(np.meshgrid(*[np.arange(k) for k in kernel], indexing="ij"), -1).reshape(1, -1, rank)
    offset = out + np.asarray(begin) - cells * np.asarray(dilations)            # i · s, per axis
    source = offset // np.asarray(strides)
    valid = np.all((offset % np.asarray(strides) == 0) & (source >= 0) & (source < np.asarray(spatial)), axis=-1)
    flat = np.ravel_multi_index(tuple(np.moveaxis(np.where(valid[..., None], source, 0), -1, 0)), spatial)
    cells_count, sites = int(np.prod(kernel)), int(np.prod(spatial))
    landing = flat[None] * maps * cells_count + np.arange(maps)[:, None, None] * cells_count + \
        np.arange(cells_count)[None, None, :]
    return np.where(valid[None], landing, sites * maps * cells_count).astype(np.int64)


def conv_transpose(node: Node, input_types: list):
    known = _operands(node, input_types)
    if known is None:
        return None
    spatial, channels, w_channels, per_group, kernel, group = known
    w = input_types[1]
    if group < 1 or w_channels != channels or channels % group:
        raise ModelError(f"{node.describe()}: X has {channels} channels and W {list(w.shape)}: ConvTranspose needs "
                         f"W [{channels}, M / {group}, ...] with {channels} divisible by group {group}")
    strides, dilations, begin, _, output = transposed_pads(node, spatial, kernel)
    cells, sites, positions = int(np.prod(kernel)), int(np.prod(spatial)), int(np.prod(output))
    maps, in_group = per_group * group, channels // group
    landing = _landing_indices(spatial, kernel, strides, dilations, begin, output, per_group)
    nodes = [ints("x_shape", [0, group, in_group, sites]), ints("w_shape", [group, in_group, per_group * cells]),
             ints("flat", [0, group, sites * per_group * cells]), ints("pads", [0, 0, 0, 0, 0, 1]),
             ints("cell_axis", [4]), ints("maps_shape", [0, maps, positions]), ints("y_shape", [0, maps, *output]),
             ints("bias_axes", [1]), constant("landing", landing),
             helper.make_node("Reshape", ["X", "x_shape"], ["grouped_x"]),
             helper.make_node("Transpose", ["grouped_x"], ["sites_x"], perm=[0, 1, 3, 2]),   # [N, g, S, C/g]
             helper.make_node("Reshape", ["W", "w_shape"], ["w_groups"]),                    # [g, C/g, M/g·K]
             helper.make_node("MatMul", ["sites_x", "w_groups"], ["contributions"]),         # [N, g, S, M/g·K]
             helper.make_node("Reshape", ["contributions", "flat"], ["flat_contributions"]),
             helper.make_node("Pad", ["flat_contributions", "pads"], ["with_zero"]),
             helper.make_node("Gather", ["with_zero", "landing"], ["landed"], axis=2),        # [N, g, M/g, P, K]
             helper.make_node("ReduceSum", ["landed", "cell_axis"], ["sums"], keepdims=0),
             helper.make_node("Reshape", ["sums", "maps_shape"], ["maps_y"])]
    last = "maps_y"
    if len(node.inputs) > 2 and node.inputs[2]:
        nodes += [helper.make_node("Unsqueeze", ["B", "bias_axes"], ["bias"]),
                  helper.make_node("Add", ["maps_y", "bias"], ["biased"])]
        last = "biased"
    nodes.append(helper.make_node("Reshape", [last, "y_shape"], ["Y"]))
    return function("ConvTranspose", ["X", "W", "B"], ["Y"], nodes)
