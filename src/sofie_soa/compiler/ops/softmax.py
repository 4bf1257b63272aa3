"""Softmax and LogSoftmax: opset >= 13 normalises along one axis; earlier opsets coerce the input to 2-D at
`axis` and normalise each row."""

import math

from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.shapes import normalize_axis


def _softmax(log):
    def lower(ctx, input, *, axis=None):
        shape = input.shape
        rank = len(shape)
        if ctx.opset >= 13:
            a = normalize_axis(-1 if axis is None else axis, rank, ctx.where)
            length, inner = (shape[a],), math.prod(shape[a + 1:])
        else:
            a = normalize_axis(1 if axis is None else axis, rank, ctx.where)
            length, inner = shape[a:], 1
        out = ctx.output(0, shape)
        ctx.launch("softmax", x=ctx.read(input), y=out, shape=shape, length=length, inner=inner, log=log)
    return lower


op("Softmax")(_softmax(False))
op("LogSoftmax")(_softmax(True))
