"""Operators that move data: each output position reads one input position, so each is an index map over the
element-wise kernel with Identity (codegen/index_maps.py; kernels/map.hpp): Transpose, Concat, Split, Slice,
Expand, Tile, DepthToSpace, SpaceToDepth, Pad (constant mode: a fill and a copy; reflect, edge and wrap:
kernels/pad.hpp) and Trilu (Where with a constant mask). Every shape and index is validated at compile time, so
no launch can address past a buffer."""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen import index_maps
from sofie_soa.codegen.launches import Functor, accessor, call, constant, emitter
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import Tensor, op
from sofie_soa.compiler.ops.common import map_launch
from sofie_soa.compiler.ops.shapes import axes_argument, broadcast, expressible, normalize_axes, normalize_axis
from sofie_soa.compiler.symbolic import SymN, dims_equal, row_major_strides, size

IDENTITY = Functor("Identity")


def _copy(ctx, source: Tensor, out, m) -> None:
    ctx.launch("map", op=IDENTITY, out=out, ins=[ctx.read(source)], map=m)


@op("Transpose")
def Transpose(ctx, data, *, perm=None):
    perm = list(perm) if perm is not None else list(reversed(range(data.rank)))
    if sorted(int(p) for p in perm) != list(range(data.rank)):
        raise ModelError(f"{ctx.where}: perm {perm} is not a permutation of the {data.rank} axes of '{data.name}'")
    shape = tuple(data.shape[p] for p in perm)
    moved = [p for p in perm if not (isinstance(data.shape[p], int) and data.shape[p] == 1)]
    if moved == sorted(moved):   # only axes of extent 1 move: the same elements in the same order, a reshape
        ctx.alias(0, data, shape)
        return
    out = ctx.output(0, shape, data.dtype)
    _copy(ctx, data, out, index_maps.transposed(data.shape, perm))


@op("Concat")
def Concat(ctx, *inputs, axis):
    rank = inputs[0].rank
    a = normalize_axis(axis, rank, ctx.where)
    for t in inputs:
        if t.rank != rank or t.dtype != inputs[0].dtype or any(
                d != a and not dims_equal(t.shape[d], inputs[0].shape[d]) for d in range(rank)):
            raise ModelError(f"{ctx.where}: input '{t.name}' of {t.dtype}{list(t.shape)} does not concatenate with "
                             f"'{inputs[0].name}' of {inputs[0].dtype}{list(inputs[0].shape)} along axis {a}")
    total = expressible(ctx.where, sum, [t.shape[a] for t in inputs], 0)
    shape = inputs[0].shape[:a] + (total,) + inputs[0].shape[a + 1:]
    out = ctx.output(0, shape, inputs[0].dtype)
    out_strides = row_major_strides(shape)
    offset = 0
    for t in inputs:
        if not (isinstance(t.shape[a], int) and t.shape[a] == 0):
            _copy(ctx, t, out, index_maps.strided(t.shape, (out_strides, expressible(ctx.where, lambda: offset * out_strides[a])),
                                                  (row_major_strides(t.shape), 0)))
        offset = expressible(ctx.where, lambda: offset + t.shape[a])


def _slice_window(ctx, data, a: int, start: int, stop: int, step: int, out_index: int, out_shape: tuple):
    """Output `out_index` = data[..., start:stop:step (axis a), ...] with the range already clamped."""
    extent = len(range(start, stop, step))
    shape = data.shape[:a] + (extent,) + data.shape[a + 1:]
    out = ctx.output(out_index, shape, data.dtype)
    strides = list(row_major_strides(data.shape))
    offset = expressible(ctx.where, lambda: start * strides[a])
    strides[a] = expressible(ctx.where, lambda: strides[a] * step)
    if extent:
        _copy(ctx, data, out, index_maps.strided(shape, (row_major_strides(shape), 0), (tuple(strides), offset)))


@op("Split")
def Split(ctx, input, split=None, *, axis=0, num_outputs=None, **legacy):
    """Split-18: sizes from the `split` input (an attribute before opset 13), else num_outputs (the last part
    smaller), else equal parts for every output."""
    a = normalize_axis(axis, input.rank, ctx.where)
    extent = input.shape[a]
    parts = len(ctx.node.outputs)
    sizes = split.ints("split", ctx) if split is not None else legacy.get("split_")
    if sizes is None:
        if isinstance(extent, SymN):
            if extent.c % parts:
                raise ModelError(f"{ctx.where}: {extent} does not split into {parts} equal parts")
            sizes = [SymN(extent.c // parts)] * parts
        else:
            chunk = -(-extent // (num_outputs or parts))
            sizes = [min(chunk, max(0, extent - k * chunk)) for k in range(parts)]
    if len(sizes) != parts or not dims_equal(expressible(ctx.where, sum, sizes, 0), extent):
        raise ModelError(f"{ctx.where}: split sizes {sizes} do not cover extent {extent} of axis {a} in {parts} parts")
    start = 0
    for k, s in enumerate(sizes):
        shape = input.shape[:a] + (s,) + input.shape[a + 1:]
        out = ctx.output(k, shape, input.dtype)
        strides = row_major_strides(input.shape)
        if not (isinstance(s, int) and s == 0):
            _copy(ctx, input, out, index_maps.strided(shape, (row_major_strides(shape), 0),
                                                      (strides, expressible(ctx.where, lambda: start * strides[a]))))
        start = expressible(ctx.where, lambda: start + s)


def _clamp(value: int, extent: int, step: int, is_start: bool) -> int:
    """ONNX Slice-13 clamping of a start or end against an axis of `extent`."""
    if value < 0:
        value += extent
    if step > 0:
        return max(0, min(extent, value))
    return max(-1, min(extent - 1, value))


@op("Slice")
def Slice(ctx, data, starts=None, ends=None, axes=None, steps=None, **legacy):
    """Slice-13 (starts/ends/axes/steps as inputs known at compile time; attributes before opset 10). A multiple
    of N may only be sliced whole."""
    if starts is None:
        s, e = list(legacy["starts_"]), list(legacy["ends_"])
        ax = list(legacy.get("axes_", range(len(s))))
        st = [1] * len(s)
    else:
        s, e = starts.ints("starts", ctx), ends.ints("ends", ctx)
        ax = axes.ints("axes", ctx) if axes is not None else list(range(len(s)))
        st = steps.ints("steps", ctx) if steps is not None else [1] * len(s)
    if not len(s) == len(e) == len(ax) == len(st):
        raise ModelError(f"{ctx.where}: starts, ends, axes and steps differ in length")
    ax = normalize_axes(ax, data.rank, ctx.where)
    shape, strides = list(data.shape), list(row_major_strides(data.shape))
    offset = 0
    for a, start, end, step in zip(ax, s, e, st):
        if step == 0:
            raise ModelError(f"{ctx.where}: step 0 on axis {a}")
        extent = data.shape[a]
        if isinstance(extent, SymN):
            whole = step == 1 and start in (0, -2**63) and (end >= 2**31 or isinstance(end, SymN) and end == extent)
            if not whole:
                raise ModelError(f"{ctx.where}: axis {a} has extent {extent} (the element count); only a whole slice "
                                 f"of it is supported, not [{start}:{end}:{step}]")
            continue
        lo, hi = _clamp(start, extent, step, True), _clamp(end, extent, step, False)
        shape[a] = len(range(lo, hi, step))
        offset += lo * strides[a] if shape[a] else 0
        strides[a] = strides[a] * step
    out = ctx.output(0, tuple(shape), data.dtype)
    if size(shape) != 0:
        _copy(ctx, data, out, index_maps.strided(tuple(shape), (row_major_strides(tuple(shape)), 0),
                                                 (tuple(strides), offset)))


@op("Expand")
def Expand(ctx, input, shape):
    """Expand-13: the output has the bidirectional broadcast of the input's shape and `shape`."""
    target = broadcast(ctx.where, input.shape, tuple(shape.ints("the shape", ctx)))
    map_launch(ctx, IDENTITY, [input], input.dtype, shape=target)


@op("Tile")
def Tile(ctx, input, repeats, **legacy):
    """Tile-13: output extent d * r per axis — an index space [r0, d0, r1, d1, ...] with the input broadcast along
    the repeat dimensions."""
    reps = repeats.ints("repeats", ctx)
    if len(reps) != input.rank or any(isinstance(r, SymN) or r < 0 for r in reps):
        raise ModelError(f"{ctx.where}: repeats {reps} do not match the rank {input.rank} of '{input.name}'")
    shape = tuple(expressible(ctx.where, lambda d=d, r=r: d * r) for d, r in zip(input.shape, reps))
    out = ctx.output(0, shape, input.dtype)
    out_strides, in_strides = row_major_strides(shape), row_major_strides(input.shape)
    extents, o, i = [], [], []
    for d, r, so, si in zip(input.shape, reps, out_strides, in_strides):
        extents += [r, d]
        o += [expressible(ctx.where, lambda: d * so), so]
        i += [0, si]
    if size(shape) != 0:
        _copy(ctx, input, out, index_maps.strided(tuple(extents), (tuple(o), 0), (tuple(i), 0)))


def _space_depth_map(ctx, in_shape, blocksize: int, mode: str, to_space: bool):
    n, c, h, w = in_shape
    b = blocksize
    if to_space:
        if isinstance(c, SymN) or c % (b * b):
            raise ModelError(f"{ctx.where}: {c} channels do not divide by blocksize^2 = {b * b}")
        if mode == "CRD":
            six, perm = (n, c // (b * b), b, b, h, w), (0, 1, 4, 2, 5, 3)
        else:
            six, perm = (n, b, b, c // (b * b), h, w), (0, 3, 4, 1, 5, 2)
        return (n, c // (b * b), h * b, w * b), index_maps.transposed(six, perm)
    if isinstance(h, SymN) or isinstance(w, SymN) or h % b or w % b:
        raise ModelError(f"{ctx.where}: spatial extents {h} x {w} do not divide by blocksize {b}")
    six, perm = (n, c, h // b, b, w // b, b), (0, 1, 3, 5, 2, 4) if mode == "CRD" else (0, 3, 5, 1, 2, 4)
    return (n, c * b * b, h // b, w // b), index_maps.transposed(six, perm)


@op("DepthToSpace")
def DepthToSpace(ctx, input, *, blocksize, mode="DCR"):
    if input.rank != 4:
        raise ModelError(f"{ctx.where}: DepthToSpace takes a 4-D input, '{input.name}' has rank {input.rank}")
    shape, m = _space_depth_map(ctx, input.shape, int(blocksize), mode, to_space=True)
    _copy(ctx, input, ctx.output(0, shape, input.dtype), m)


@op("SpaceToDepth")
def SpaceToDepth(ctx, input, *, blocksize, mode="DCR"):
    """SpaceToDepth-13; mode (DCR: blocks outermost in the channels, CRD: innermost) from opset 28."""
    if input.rank != 4:
        raise ModelError(f"{ctx.where}: SpaceToDepth takes a 4-D input, '{input.name}' has rank {input.rank}")
    if mode not in ("DCR", "CRD"):
        raise ModelError(f"{ctx.where}: SpaceToDepth mode '{mode}' is neither DCR nor CRD")
    shape, m = _space_depth_map(ctx, input.shape, int(blocksize), mode, to_space=False)
    _copy(ctx, input, ctx.output(0, shape, input.dtype), m)


@op("Pad")
def Pad(ctx, data, pads=None, constant_value=None, axes=None, *, mode="constant", **legacy):
    """Pad-18: pads [begin..., end...] over `axes` (all by default); negative pads crop. Before opset 11 pads and
    value were attributes."""
    if mode not in ("constant", "reflect", "edge", "wrap"):
        raise ModelError(f"{ctx.where}: Pad mode '{mode}' is not one of constant, reflect, edge, wrap")
    amounts = pads.ints("pads", ctx) if pads is not None else list(legacy.get("pads_", legacy.get("paddings", [])))
    chosen = normalize_axes(axes.ints("axes", ctx), data.rank, ctx.where) if axes is not None else \
        list(range(data.rank))
    if len(amounts) != 2 * len(chosen):
        raise ModelError(f"{ctx.where}: {len(amounts)} pads for {len(chosen)} axes")
    before, after = [0] * data.rank, [0] * data.rank
    for k, a in enumerate(chosen):
        before[a], after[a] = amounts[k], amounts[k + len(chosen)]
    for a in range(data.rank):
        if (before[a] or after[a]) and isinstance(data.shape[a], SymN):
            raise ModelError(f"{ctx.where}: axis {a} (the element count) cannot be padded")
    shape = tuple(d if isinstance(d, SymN) else d + lo + hi for d, lo, hi in zip(data.shape, before, after))
    if any(not isinstance(d, SymN) and d < 0 for d in shape):
        raise ModelError(f"{ctx.where}: pads {amounts} crop '{data.name}' of shape {data.shape} below zero")
    out = ctx.output(0, shape, data.dtype)
    if mode != "constant":
        if any(not isinstance(d, SymN) and d == 0 for d in data.shape) and size(shape) != 0:
            raise ModelError(f"{ctx.where}: {mode} padding of an empty tensor")
        if mode == "reflect" and any(lo > d - 1 or hi > d - 1 for d, lo, hi in zip(data.shape, before, after)
                                     if not isinstance(d, SymN) and (lo or hi)):
            raise ModelError(f"{ctx.where}: reflect pads {amounts} exceed the extents {data.shape} minus one")
        ctx.launch("pad", x=ctx.read(data), y=out, before=tuple(before), mode=mode)
        return
    value = legacy.get("value", 0)
    if constant_value is not None:
        if constant_value.value is None:
            raise ModelError(f"{ctx.where}: constant_value ('{constant_value.name}') must be known at compile time "
                             f"(a constant, or computed from constants and shapes)")
        value = np.asarray(constant_value.value).reshape(-1)[0].item()
    ctx.launch("map", op=constant(value, data.dtype), out=out, ins=[],
               map=index_maps.elementwise(shape))
    # The kept part of the input, at its place in the output (negative pads crop the input).
    kept = tuple(d if isinstance(d, SymN) else d + min(lo, 0) + min(hi, 0)
                 for d, lo, hi in zip(data.shape, before, after))
    if size(kept) == 0:
        return
    in_strides, out_strides = row_major_strides(data.shape), row_major_strides(shape)
    in_offset = sum(-min(lo, 0) * s for lo, s in zip(before, in_strides) if lo < 0)
    out_offset = sum(max(lo, 0) * s for lo, s in zip(before, out_strides) if lo > 0)
    _copy(ctx, data, out, index_maps.strided(kept, (out_strides, out_offset), (in_strides, in_offset)))


@emitter("pad")
def _emit_pad(a: dict, plan, where: str) -> str:
    from sofie_soa.codegen import cpp
    x, y = a["x"], a["y"]
    rank = len(x.shape)
    lists = lambda values: "{" + ", ".join(cpp.dim(v) for v in values) + "}"  # noqa: E731
    geometry = (f"kernels::PadGeometry{{{rank}, {lists(y.shape)}, {lists(x.shape)}, "
                f"{lists(row_major_strides(x.shape))}, {lists(a['before'])}}}")
    return call(cpp.dim(size(y.shape)), "PadKernel", geometry, f"kernels::PadMode::{a['mode']}",
                accessor(x, plan, False), accessor(y, plan, True))


@op("Trilu")
def Trilu(ctx, input, k=None, *, upper=1):
    """Trilu-14: Where(mask, input, 0) with the mask over the last two axes computed at compile time."""
    if input.rank < 2 or any(isinstance(d, SymN) for d in input.shape[-2:]):
        raise ModelError(f"{ctx.where}: Trilu needs a fixed trailing 2-D shape, '{input.name}' has {input.shape}")
    diagonal = k.ints("k", ctx)[0] if k is not None else 0
    rows, cols = input.shape[-2:]
    mask = (np.triu if upper else np.tril)(np.ones((rows, cols), dtype=bool), diagonal)
    zero = np.zeros((), dtype=input.dtype)
    map_launch(ctx, Functor("Where"), [Tensor(f"{ctx.node.outputs[0]}#mask", "bool", mask.shape, mask), input,
                                       Tensor(f"{ctx.node.outputs[0]}#zero", input.dtype, (), zero)],
               input.dtype, shape=input.shape)
