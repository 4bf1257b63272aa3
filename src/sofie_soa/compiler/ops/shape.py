"""Operators on shapes and relabelled data: Shape and Size (folded at compile time from the input's type),
Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout (inference) — free when the output can share its
input's storage, one copy when it must land in a graph output."""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen.launches import constant
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import map_launch
from sofie_soa.compiler.ops.shapes import axes_argument, expressible, normalize_axes, normalize_axis
from sofie_soa.compiler.symbolic import SymN, size


@op("Shape")
def Shape(ctx, data, *, start=0, end=None):
    rank = data.rank
    lo = max(0, min(rank, start + rank if start < 0 else start))
    hi = rank if end is None else max(0, min(rank, end + rank if end < 0 else end))
    ctx.output(0, (max(0, hi - lo),), "int64")


@op("Size")
def Size(ctx, data):
    ctx.output(0, (), "int64")


def _same_size(ctx, source, shape) -> None:
    """ModelError unless `shape` holds as many elements as `source` (Reshape of a mismatched count)."""
    before, after = expressible(ctx.where, size, source.shape), expressible(ctx.where, size, shape)
    if not (before == after if isinstance(before, SymN) or isinstance(after, SymN) else int(before) == int(after)):
        raise ModelError(f"{ctx.where}: cannot reshape '{source.name}' of shape {source.shape} ({before} elements) to "
                         f"{tuple(shape)} ({after} elements)")


@op("Reshape")
def Reshape(ctx, data, shape=None, *, allowzero=0, **legacy):
    """Reshape-5+: the target shape is an input known at compile time (Reshape-1 had it as an attribute)."""
    target = shape.ints("the target shape", ctx) if shape is not None else list(legacy.get("shape_", []))
    out = []
    for i, d in enumerate(target):
        if not isinstance(d, SymN) and d == 0 and not allowzero:
            if i >= data.rank:
                raise ModelError(f"{ctx.where}: target shape {target} copies dimension {i} of a rank-{data.rank} input")
            out.append(data.shape[i])
        else:
            out.append(d)
    unknown = [i for i, d in enumerate(out) if not isinstance(d, SymN) and d == -1]
    if len(unknown) > 1 or any(not isinstance(d, SymN) and d < -1 for d in out):
        raise ModelError(f"{ctx.where}: target shape {target} is not a valid Reshape target")
    if unknown:
        known = expressible(ctx.where, size, [d for i, d in enumerate(out) if i != unknown[0]])
        total = expressible(ctx.where, size, data.shape)
        if known == 0:
            raise ModelError(f"{ctx.where}: target shape {target} has -1 beside a zero dimension")
        try:
            if isinstance(total, SymN) or isinstance(known, SymN):
                out[unknown[0]] = total // known
            elif int(total) % int(known) == 0:
                out[unknown[0]] = int(total) // int(known)
            else:
                raise ArithmeticError
        except ArithmeticError:
            raise ModelError(f"{ctx.where}: cannot reshape '{data.name}' of shape {data.shape} to {tuple(target)}: "
                             f"{total} elements are not a multiple of {known}") from None
    _same_size(ctx, data, out)
    ctx.alias(0, data, tuple(out))


@op("Flatten")
def Flatten(ctx, input, *, axis=1):
    """Flatten-13: axis in [-rank, rank]; the output is [prod(shape[:axis]), prod(shape[axis:])]."""
    rank = input.rank
    if not -rank <= axis <= rank:
        raise ModelError(f"{ctx.where}: axis {axis} is out of range for rank {rank}")
    a = axis + rank if axis < 0 else axis
    ctx.alias(0, input, (expressible(ctx.where, size, input.shape[:a]),
                         expressible(ctx.where, size, input.shape[a:])))


@op("Squeeze")
def Squeeze(ctx, data, axes=None, **attrs):
    chosen = axes_argument(ctx, axes, attrs)
    if chosen is None:
        drop = {i for i, d in enumerate(data.shape) if not isinstance(d, SymN) and d == 1}
    else:
        drop = set(normalize_axes(chosen, data.rank, ctx.where))
        for a in drop:
            if isinstance(data.shape[a], SymN) or data.shape[a] != 1:
                raise ModelError(f"{ctx.where}: cannot squeeze axis {a} of extent {data.shape[a]}")
    ctx.alias(0, data, tuple(d for i, d in enumerate(data.shape) if i not in drop))


@op("Unsqueeze")
def Unsqueeze(ctx, data, axes=None, **attrs):
    chosen = axes_argument(ctx, axes, attrs)
    if chosen is None:
        raise ModelError(f"{ctx.where}: Unsqueeze needs axes")
    out = list(data.shape)
    for a in sorted(normalize_axes(chosen, data.rank + len(chosen), ctx.where)):
        out.insert(a, 1)
    ctx.alias(0, data, tuple(out))


@op("Identity")
def Identity(ctx, input):
    ctx.alias(0, input, input.shape)


@op("Dropout")
def Dropout(ctx, data, ratio=None, training_mode=None, **legacy):
    """Inference: the output is the input; the optional mask output is all true (Dropout-12+; older forms'
    attributes ignored). training_mode known true is refused."""
    if training_mode is not None and (training_mode.value is None or bool(np.asarray(training_mode.value))):
        raise UnsupportedOperator(f"{ctx.where}: Dropout in training mode is not supported (inference only)")
    ctx.alias(0, data, data.shape)
    if len(ctx.node.outputs) > 1 and ctx.node.outputs[1]:
        map_launch(ctx, constant(True, "bool"), [], "bool", output=1, shape=data.shape)
