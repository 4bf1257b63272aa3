"""Operators that move or relabel data: Identity, Dropout, Cast, Flatten, Reshape, Squeeze, Unsqueeze (free
when the lowering can alias the input's storage), Transpose and Concat (copy kernels)."""

import math

from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ir import N
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.shapes import normalize_axis, size

_FLOAT_TYPES = {1, 10, 11}  # TensorProto FLOAT, FLOAT16, DOUBLE: computed as float32 here


@op("Identity", "Dropout")
def Identity(ctx, input, *args, **attrs):
    ctx.alias(0, input, input.shape)


@op("Cast")
def Cast(ctx, input, *, to, saturate=1):
    if to not in _FLOAT_TYPES:
        raise UnsupportedOperator(f"{ctx.where}: Cast to ONNX type {to} is not supported (float types only: "
                                  f"sessions compute in float32)")
    ctx.alias(0, input, input.shape)


@op("Flatten")
def Flatten(ctx, input, *, axis=1):
    a = normalize_axis(axis, len(input.shape) + 1, ctx.where) if axis != len(input.shape) else axis
    ctx.alias(0, input, (_prod(input.shape[:a]), _prod(input.shape[a:])))


def _prod(dims):
    factor, symbolic = size(dims)
    if symbolic and factor != 1:
        raise ModelError(f"dimensions {dims} merge the element count with other dimensions")
    return N if symbolic else factor


@op("Reshape")
def Reshape(ctx, data, shape, *, allowzero=0):
    if shape.value is None:
        raise ModelError(f"{ctx.where}: Reshape needs a constant target shape")
    target = [int(d) for d in shape.value]
    out = [data.shape[i] if d == 0 and not allowzero else d for i, d in enumerate(target)]
    if -1 in out:
        known_factor, known_n = size([d for d in out if d != -1])
        total_factor, total_n = size(data.shape)
        if total_factor % known_factor:
            raise ModelError(f"{ctx.where}: cannot reshape {data.shape} to {tuple(target)}")
        rest = total_factor // known_factor
        if total_n and not known_n:
            if rest != 1:
                raise ModelError(f"{ctx.where}: reshape {data.shape} -> {tuple(target)} mixes the element count N "
                                 f"into another dimension")
            rest = N
        out[out.index(-1)] = rest
    ctx.alias(0, data, tuple(out))


@op("Squeeze")
def Squeeze(ctx, data, axes=None, **attrs):
    axes = axes.value.tolist() if axes is not None else attrs.get("axes")
    rank = len(data.shape)
    drop = {normalize_axis(a, rank, ctx.where) for a in axes} if axes is not None else \
        {i for i, d in enumerate(data.shape) if d == 1}
    ctx.alias(0, data, tuple(d for i, d in enumerate(data.shape) if i not in drop))


@op("Unsqueeze")
def Unsqueeze(ctx, data, axes=None, **attrs):
    axes = axes.value.tolist() if axes is not None else attrs["axes"]
    rank = len(data.shape) + len(axes)
    insert = sorted(normalize_axis(a, rank, ctx.where) for a in axes)
    out = list(data.shape)
    for a in insert:
        out.insert(a, 1)
    ctx.alias(0, data, tuple(out))


@op("Transpose")
def Transpose(ctx, data, *, perm=None):
    perm = list(perm) if perm is not None else list(reversed(range(len(data.shape))))
    out = tuple(data.shape[p] for p in perm)
    ctx.launch("transpose", x=ctx.read(data), y=ctx.output(0, out), shape=data.shape, perm=perm)


@op("Concat")
def Concat(ctx, *inputs, axis):
    rank = len(inputs[0].shape)
    a = normalize_axis(axis, rank, ctx.where)
    if any(t.shape[a] == N for t in inputs):
        raise ModelError(f"{ctx.where}: Concat along the element count is not supported")
    total = sum(t.shape[a] for t in inputs)
    out_shape = inputs[0].shape[:a] + (total,) + inputs[0].shape[a + 1:]
    out = ctx.output(0, out_shape)
    inner = math.prod(inputs[0].shape[a + 1:])
    offset = 0
    for t in inputs:
        ctx.launch("concat", x=ctx.read(t), y=out, outer=inputs[0].shape[:a], chunk=t.shape[a] * inner,
                   total=total * inner, offset=offset * inner)
        offset += t.shape[a]


@op("Constant")
def Constant(ctx, **attrs):  # folded by the constant-folding pass; reaching here means an unusual form
    raise UnsupportedOperator(f"{ctx.where}: Constant of this form could not be folded")

