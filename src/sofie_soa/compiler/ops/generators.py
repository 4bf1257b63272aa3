"""Operators that make tensors from shapes and scalars: Constant, ConstantOfShape, EyeLike and Range. Their
values are folded at compile time (compiler/folding.py) whenever their shape is known; ConstantOfShape over a
shape with N fills at run time, and Range up to a multiple of N counts at run time (kernels/fill.hpp)."""

from __future__ import annotations

import math

import numpy as np

from sofie_soa.codegen import cpp
from sofie_soa.codegen.launches import accessor, call, constant, emitter
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import map_launch
from sofie_soa.compiler.symbolic import SymN


@op("Constant")
def Constant(ctx, **attrs):
    from sofie_soa.compiler.folding import constant_value
    value = constant_value(ctx.node)
    if value.dtype.name not in dtypes.DTYPES:
        raise ModelError(f"{ctx.where}: a constant of element type {value.dtype.name} is not supported")
    ctx.output(0, value.shape, value.dtype.name)


@op("ConstantOfShape")
def ConstantOfShape(ctx, input, *, value=None):
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    shape = tuple(input.ints("the shape", ctx))
    if any(not isinstance(d, SymN) and d < 0 for d in shape):
        raise ModelError(f"{ctx.where}: shape {shape} has a negative extent")
    map_launch(ctx, constant(fill[0].item(), fill.dtype.name), [], fill.dtype.name, shape=shape)


@op("EyeLike")
def EyeLike(ctx, input, *, dtype=None, k=0):
    """Folded from the input's shape (compiler/folding.py)."""
    if input.rank != 2 or any(isinstance(d, SymN) for d in input.shape):
        raise ModelError(f"{ctx.where}: EyeLike needs a fixed 2-D input, '{input.name}' has shape {input.shape}")
    ctx.output(0, input.shape, input.dtype if dtype is None else dtypes.from_onnx(dtype, ctx.where))


@op("Range")
def Range(ctx, start, limit, delta):
    """Range-11: ceil((limit - start) / delta) elements; a limit of c·N counts with start 0 and step 1."""
    values = [None if t.value is None else np.asarray(t.value).reshape(-1)[0] for t in (start, limit, delta)]
    if values[0] is not None and values[2] is not None and isinstance(values[1], SymN):
        if values[0] != 0 or values[2] != 1:
            raise ModelError(f"{ctx.where}: Range up to {values[1]} is supported from 0 in steps of 1")
        out = ctx.output(0, (values[1],), start.dtype)
        ctx.launch("range", y=out, start=0, delta=1)
        return
    for role, t, v in zip(("start", "limit", "delta"), (start, limit, delta), values):
        if v is None or isinstance(v, SymN):
            raise ModelError(f"{ctx.where}: Range's {role} ('{t.name}') must be known at compile time (the output's "
                             f"length depends on it)")
    s, lim, d = (float(v) for v in values)
    if d == 0:
        raise ModelError(f"{ctx.where}: Range with delta 0")
    ctx.output(0, (max(math.ceil((lim - s) / d), 0),), start.dtype)


@emitter("range")
def _emit_range(a: dict, plan, where: str) -> str:
    y = a["y"]
    return call(cpp.dim(y.shape[0]), "RangeKernel", accessor(y, plan, True), cpp.scalar(a["start"], y.dtype),
                cpp.scalar(a["delta"], y.dtype))
