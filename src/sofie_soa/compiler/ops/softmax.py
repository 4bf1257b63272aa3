"""Softmax, LogSoftmax and Hardmax (kernels/softmax.hpp): opset >= 13 normalises along one axis; earlier opsets
coerce the input to 2-D at `axis` and normalise each row."""

from __future__ import annotations

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import require
from sofie_soa.compiler.ops.shapes import normalize_axis
from sofie_soa.compiler.symbolic import SymN, size


def _normalizer(kind: str):
    def lower(ctx, input, *, axis=None):
        require(ctx, input, dtypes.FLOATS)
        shape, rank = input.shape, max(input.rank, 1)
        if ctx.opset >= 13:
            a = normalize_axis(-1 if axis is None else axis, rank, ctx.where)
            length, inner = shape[a], size(shape[a + 1:])
        else:
            a = normalize_axis(1 if axis is None else axis, rank, ctx.where)
            length, inner = size(shape[a:]), 1
        if isinstance(length, SymN) or isinstance(inner, SymN):
            raise ModelError(f"{ctx.where}: {kind} along the element count is not supported")
        out = ctx.output(0, shape, input.dtype)
        if int(length) and size(shape) != 0:
            ctx.launch("softmax", x=ctx.read(input), y=out, length=int(length), inner=int(inner), kind=kind)
    return lower


op("Softmax")(_normalizer("softmax"))
op("LogSoftmax")(_normalizer("log_softmax"))
op("Hardmax")(_normalizer("hardmax"))
