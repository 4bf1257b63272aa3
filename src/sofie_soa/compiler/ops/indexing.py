"""The indexing family: Gather, GatherElements, GatherND, ScatterElements (and the deprecated Scatter), ScatterND
and OneHot, with ONNX's semantics at every opset (the newest rule is cited on each operator; older versions are
the same operator with fewer attributes). Kernels: kernels/gather.hpp, kernels/scatter.hpp; launches:
codegen/launches_indexing.py.

Indices are int32 or int64 (GatherND and ScatterND: int64, as ONNX constrains them); a negative index counts from
the end of its axis. An index must lie in [-d, d - 1] for an axis of extent d:
  - indices known at compile time are checked here (ModelError naming the node), normalised and, for Gather, a
    run of equally spaced indices becomes a strided copy (selecting features of data is then an index map);
  - indices read from data are checked by the kernel, which never addresses a tensor with an index out of range:
    it skips that element and reports the node, which the session raises after the launches
    (runtime/session_base.hpp; sofie_soa.IndexOutOfRange in Python).
OneHot is the exception ONNX makes: an index out of range gives a row of `off` values, not an error.
"""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen import index_maps
from sofie_soa.codegen.launches import Functor
from sofie_soa.codegen.launches_indexing import Geometry, check_message
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import Tensor, op
from sofie_soa.compiler.ops.common import require
from sofie_soa.compiler.ops.shapes import expressible, normalize_axis
from sofie_soa.compiler.symbolic import SymN, dims_equal, is_symbolic, row_major_strides, size

INDEX_TYPES = ("int32", "int64")
REDUCTIONS = {"none": 1, "add": 16, "mul": 16, "max": 18, "min": 18}   # reduction -> the opset that added it


def _empty(shape) -> bool:
    return not isinstance(size(shape), SymN) and size(shape) == 0


def _known(indices: Tensor) -> bool:
    return indices.value is not None and not is_symbolic(indices.value)


def _checked(ctx, indices: Tensor, extents: list):
    """Constant indices checked against `extents` (one per position of the last axis when there are several, as
    GatherND's and ScatterND's tuples; else one for all) and wrapped to [0, d): an int64 array; ModelError naming
    the node for an index out of range. None when the indices are read from data, or an extent is a multiple of N
    (the kernel checks them then)."""
    if not _known(indices) or any(isinstance(d, SymN) for d in extents):
        return None
    values = np.asarray(indices.value).astype(np.int64)
    bounds = np.broadcast_to(np.asarray(extents if len(extents) > 1 else extents[0], np.int64), values.shape)
    bad = (values < -bounds) | (values >= bounds)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        extent = int(bounds[where])
        raise ModelError(f"{ctx.where}: index {int(values[where])} at {list(where)} of '{indices.name}' is out of "
                         f"range for an axis of extent {extent} (ONNX allows [-{extent}, {extent - 1}])")
    return np.where(values < 0, values + bounds, values)


def _indices_operand(ctx, indices: Tensor, checked):
    """The indices as a kernel operand (the normalised constant when there is one) and the launch's `check`: the
    message its kernel reports, or None when the indices were checked at compile time."""
    if checked is None:
        return ctx.read(indices), check_message(ctx.where)
    constant = Tensor(f"{ctx.node.outputs[0]}#indices", "int64", tuple(indices.shape), checked)
    return ctx.read(constant), None


def _progression(values: np.ndarray):
    """(start, step) when the flat values are equally spaced (one value: step 1), else None."""
    flat = values.reshape(-1)
    if flat.size == 0:
        return None
    step = int(flat[1] - flat[0]) if flat.size > 1 else 1
    return (int(flat[0]), step) if np.all(np.diff(flat) == step) else None


@op("Gather")
def Gather(ctx, data, indices, *, axis=0):
    """ONNX Gather-13: out[p..., j..., q...] = data[p..., indices[j...], q...] along `axis`; output shape
    data.shape[:axis] + indices.shape + data.shape[axis + 1:]."""
    require(ctx, indices, INDEX_TYPES, "indices")
    a = normalize_axis(axis, data.rank, ctx.where)
    shape = data.shape[:a] + tuple(indices.shape) + data.shape[a + 1:]
    out = ctx.output(0, shape, data.dtype)
    extent = data.shape[a]
    checked = _checked(ctx, indices, [extent])
    if _empty(shape):
        return
    outer = expressible(ctx.where, size, data.shape[:a])
    inner = expressible(ctx.where, size, data.shape[a + 1:])
    gathered = expressible(ctx.where, size, indices.shape)
    run = _progression(checked) if checked is not None else None
    if run is not None:          # equally spaced constant indices: a strided copy (kernels/map.hpp)
        start, step = run
        m = index_maps.strided(
            (outer, gathered, inner),
            ((expressible(ctx.where, lambda: gathered * inner), inner, 1), 0),
            ((expressible(ctx.where, lambda: extent * inner), expressible(ctx.where, lambda: step * inner), 1),
             expressible(ctx.where, lambda: start * inner)))
        ctx.launch("map", op=Functor("Identity"), out=out, ins=[ctx.read(data)], map=m)
        return
    ref, check = _indices_operand(ctx, indices, checked)
    ctx.launch("gather", data=ctx.read(data), indices=ref, y=out, extent=extent, gathered=gathered, inner=inner,
               check=check)


def _same_rank_indices(ctx, data, indices, a: int) -> None:
    """GatherElements / ScatterElements: indices of data's rank, no larger than data off the axis."""
    if indices.rank != data.rank:
        raise ModelError(f"{ctx.where}: indices '{indices.name}' have rank {indices.rank}, data '{data.name}' has "
                         f"rank {data.rank}; they must be equal")
    for d, (i, e) in enumerate(zip(indices.shape, data.shape)):
        if d == a:
            continue
        fits = dims_equal(i, e) if isinstance(i, SymN) or isinstance(e, SymN) else int(i) <= int(e)
        if not fits:
            raise ModelError(f"{ctx.where}: indices '{indices.name}' of shape {list(indices.shape)} exceed data "
                             f"'{data.name}' of shape {list(data.shape)} on axis {d}")


@op("GatherElements")
def GatherElements(ctx, data, indices, *, axis=0):
    """ONNX GatherElements-13: out[i] = data[i with its `axis` coordinate replaced by indices[i]]; the output
    has the indices' shape."""
    require(ctx, indices, INDEX_TYPES, "indices")
    a = normalize_axis(axis, data.rank, ctx.where)
    _same_rank_indices(ctx, data, indices, a)
    out = ctx.output(0, indices.shape, data.dtype)
    checked = _checked(ctx, indices, [data.shape[a]])
    if _empty(indices.shape):
        return
    strides = list(row_major_strides(data.shape))
    stride, strides[a] = strides[a], 0
    m = index_maps.strided(tuple(indices.shape), (row_major_strides(indices.shape), 0), (tuple(strides), 0))
    ref, check = _indices_operand(ctx, indices, checked)
    ctx.launch("gather_elements", data=ctx.read(data), indices=ref, y=out, map=m, extent=data.shape[a],
               stride=stride, check=check)


def _tuples(ctx, data, indices, b: int) -> int:
    """GatherND / ScatterND: k, the indices per tuple (the indices' last extent), in [0, rank(data) - b]."""
    require(ctx, indices, ("int64",), "indices")
    if indices.rank < 1:
        raise ModelError(f"{ctx.where}: indices '{indices.name}' must have rank >= 1")
    k = indices.shape[-1]
    if isinstance(k, SymN) or not 0 <= k <= data.rank - b:
        raise ModelError(f"{ctx.where}: the last extent {k} of indices '{indices.name}' must lie in "
                         f"[0, {data.rank - b}] (data rank {data.rank}, batch_dims {b})")
    return int(k)


def _geometry(ctx, data, indices, b: int, k: int) -> Geometry:
    strides = row_major_strides(data.shape)
    groups = size(indices.shape[b:-1])          # tuples per batch: c·N where the indices' rows are the elements
    return expressible(ctx.where, lambda: Geometry(
        tuple(data.shape[b:b + k]), tuple(strides[b:b + k]), size(data.shape[b + k:]),
        groups if isinstance(groups, SymN) or groups else 1, size(data.shape[b:]) if b else 0))


@op("GatherND")
def GatherND(ctx, data, indices, *, batch_dims=0):
    """ONNX GatherND-13: each k-tuple of indices (their last axis) selects a slice data[batch..., i0, ..., ik-1]
    over the first `batch_dims` axes, which data and indices share; output shape indices.shape[:-1] +
    data.shape[batch_dims + k:]."""
    b = int(batch_dims)
    if not 0 <= b < min(data.rank, indices.rank):
        raise ModelError(f"{ctx.where}: batch_dims {b} must be below the ranks of data ({data.rank}) and indices "
                         f"({indices.rank})")
    k = _tuples(ctx, data, indices, b)
    if any(not dims_equal(data.shape[d], indices.shape[d]) for d in range(b)):
        raise ModelError(f"{ctx.where}: the first {b} extents of data {list(data.shape)} and indices "
                         f"{list(indices.shape)} (batch_dims) differ")
    shape = tuple(indices.shape[:-1]) + tuple(data.shape[b + k:])
    out = ctx.output(0, shape, data.dtype)
    checked = _checked(ctx, indices, list(data.shape[b:b + k])) if k else None
    if _empty(shape):
        return
    ref, check = _indices_operand(ctx, indices, checked) if k else (ctx.read(indices), None)
    ctx.launch("gather_nd", data=ctx.read(data), indices=ref, y=out, geometry=_geometry(ctx, data, indices, b, k),
               check=check)


def _reduction(ctx, reduction: str) -> str:
    since = REDUCTIONS.get(reduction)
    if since is None or ctx.opset < since:
        raise ModelError(f"{ctx.where}: reduction '{reduction}' is not one of "
                         f"{', '.join(r for r, s in REDUCTIONS.items() if s <= ctx.opset)} at opset {ctx.opset}")
    return reduction


def _copy_data(ctx, data, updates) -> object:
    """The output: a copy of data, the updates' element type checked."""
    if updates.dtype != data.dtype:
        raise ModelError(f"{ctx.where}: updates '{updates.name}' are {updates.dtype}, data '{data.name}' is "
                         f"{data.dtype}; they must be equal")
    out = ctx.output(0, data.shape, data.dtype)
    if not _empty(data.shape):
        ctx.launch("map", op=Functor("Identity"), out=out, ins=[ctx.read(data)],
                   map=index_maps.elementwise(data.shape, data.shape))
    return out


@op("ScatterElements", "Scatter")
def ScatterElements(ctx, data, indices, updates, *, axis=0, reduction="none"):
    """ONNX ScatterElements-18 (Scatter-11 is ScatterElements without `reduction`): output = data, then for every
    position i of indices, output[i with its `axis` coordinate replaced by indices[i]] = reduction(that element,
    updates[i]), in order."""
    require(ctx, indices, INDEX_TYPES, "indices")
    a = normalize_axis(axis, data.rank, ctx.where)
    _same_rank_indices(ctx, data, indices, a)
    if len(updates.shape) != indices.rank or not all(map(dims_equal, updates.shape, indices.shape)):
        raise ModelError(f"{ctx.where}: updates '{updates.name}' of shape {list(updates.shape)} differ from indices "
                         f"'{indices.name}' of shape {list(indices.shape)}")
    reduction = _reduction(ctx, reduction)
    out = _copy_data(ctx, data, updates)
    checked = _checked(ctx, indices, [data.shape[a]])
    if _empty(indices.shape):
        return
    lines = tuple(1 if d == a else e for d, e in enumerate(indices.shape))
    steps, strides = row_major_strides(indices.shape), row_major_strides(data.shape)
    m = index_maps.strided(lines, (steps, 0), (strides, 0))
    ref, check = _indices_operand(ctx, indices, checked)
    ctx.launch("scatter_elements", indices=ref, updates=ctx.read(updates), y=out, map=m, length=indices.shape[a],
               step=steps[a], extent=data.shape[a], stride=strides[a], reduction=reduction, check=check)


@op("ScatterND")
def ScatterND(ctx, data, indices, updates, *, reduction="none"):
    """ONNX ScatterND-18: output = data, then for every k-tuple t of indices (their last axis), the slice
    output[t] = reduction(output[t], updates[t's position]), in order; updates have shape indices.shape[:-1] +
    data.shape[k:]."""
    k = _tuples(ctx, data, indices, 0)
    expected = tuple(indices.shape[:-1]) + tuple(data.shape[k:])
    if len(updates.shape) != len(expected) or not all(map(dims_equal, updates.shape, expected)):
        raise ModelError(f"{ctx.where}: updates '{updates.name}' have shape {list(updates.shape)}; indices "
                         f"{list(indices.shape)} into data {list(data.shape)} need {list(expected)}")
    reduction = _reduction(ctx, reduction)
    out = _copy_data(ctx, data, updates)
    checked = _checked(ctx, indices, list(data.shape[:k])) if k else None
    if _empty(updates.shape):
        return
    ref, check = _indices_operand(ctx, indices, checked) if k else (ctx.read(indices), None)
    geometry = expressible(ctx.where, lambda: Geometry(tuple(data.shape[:k]), row_major_strides(data.shape)[:k],
                                                       size(data.shape[k:]), 1, 0))
    ctx.launch("scatter_nd", indices=ref, updates=ctx.read(updates), y=out,
               tuples=expressible(ctx.where, size, indices.shape[:-1]), geometry=geometry, reduction=reduction,
               check=check)


@op("OneHot")
def OneHot(ctx, indices, depth, values, *, axis=-1):
    """ONNX OneHot-11: out[..., d (at `axis`), ...] = values[1] where the index equals d, else values[0]; a
    negative index counts from depth (opset 11; OneHot-9 has no negative indices) and an index outside
    [-depth, depth - 1] gives a row of values[0]. `depth` must be known at compile time (it is an extent)."""
    require(ctx, indices, dtypes.FLOATS + dtypes.INTEGERS, "indices")
    require(ctx, depth, dtypes.FLOATS + dtypes.INTEGERS, "depth")
    known = depth.value is not None and np.asarray(depth.value).size == 1
    if not known:
        raise ModelError(f"{ctx.where}: depth ('{depth.name}') must be one value known at compile time (it is the "
                         f"extent of the output's new axis)")
    d = np.asarray(depth.value).reshape(-1)[0]
    d = d if isinstance(d, SymN) else int(np.trunc(float(d)))
    if not isinstance(d, SymN) and d < 1:
        raise ModelError(f"{ctx.where}: depth {d} must be at least 1")
    if values.rank != 1 or not dims_equal(values.shape[0], 2):
        raise ModelError(f"{ctx.where}: values '{values.name}' must be [off_value, on_value], got shape "
                         f"{list(values.shape)}")
    a = normalize_axis(axis, indices.rank + 1, ctx.where)
    shape = tuple(indices.shape[:a]) + (d,) + tuple(indices.shape[a:])
    out = ctx.output(0, shape, values.dtype)
    if expressible(ctx.where, _empty, shape):
        return
    ctx.launch("onehot", indices=ctx.read(indices), values=ctx.read(values), y=out, depth=d,
               inner=expressible(ctx.where, size, indices.shape[a:]), negative=ctx.opset >= 11)
