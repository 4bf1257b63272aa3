"""Element-wise operators of two or more operands with ONNX (NumPy) broadcasting: arithmetic, comparison, logic,
bitwise, the n-ary Sum/Mean/Max/Min, PRelu and Where (kernels/functors/binary.hpp)."""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen.index_maps import elementwise
from sofie_soa.codegen.launches import Functor
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import Tensor, op
from sofie_soa.compiler.ops.common import NUMERIC, map_launch, require, same_dtype
from sofie_soa.compiler.ops.shapes import broadcast, normalize_axis


def _legacy_broadcast(ctx, A, B, broadcast_, axis):
    """Opsets < 7 spell unidirectional broadcasting with broadcast=1, aligning B at `axis` (default: the right)."""
    if broadcast_ and axis is not None:
        a = normalize_axis(axis, A.rank, ctx.where)
        return Tensor(B.name, B.dtype, tuple(B.shape) + (1,) * (A.rank - a - B.rank), B.value)
    return B


def _arithmetic(op_type: str, allowed=NUMERIC):
    def lower(ctx, A, B, *, broadcast_=0, axis=None):
        dtype = same_dtype(ctx, A, B)
        require(ctx, A, allowed)
        B = _legacy_broadcast(ctx, A, B, broadcast_, axis)
        map_launch(ctx, Functor(op_type), [A, B], dtype)
    lower.__name__ = op_type
    return lower


for _t in ["Add", "Sub", "Mul", "Div"]:
    op(_t)(_arithmetic(_t))
for _t in ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]:
    op(_t)(_arithmetic(_t, dtypes.INTEGERS))


def _logic(op_type: str):
    def lower(ctx, A, B, *, broadcast_=0, axis=None):
        require(ctx, A, ("bool",))
        require(ctx, B, ("bool",))
        map_launch(ctx, Functor(op_type), [A, _legacy_broadcast(ctx, A, B, broadcast_, axis)], "bool")
    lower.__name__ = op_type
    return lower


for _t in ["And", "Or", "Xor"]:
    op(_t)(_logic(_t))


def _comparison(op_type: str):
    def lower(ctx, A, B, *, broadcast_=0, axis=None):
        same_dtype(ctx, A, B)
        map_launch(ctx, Functor(op_type), [A, _legacy_broadcast(ctx, A, B, broadcast_, axis)], "bool")
    lower.__name__ = op_type
    return lower


for _t in ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]:
    op(_t)(_comparison(_t))


@op("Pow")
def Pow(ctx, X, Y, *, broadcast_=0, axis=None):
    """Pow-15: the exponent may have another numeric type; the result has X's."""
    require(ctx, X, NUMERIC)
    map_launch(ctx, Functor("Pow"), [X, _legacy_broadcast(ctx, X, Y, broadcast_, axis)], X.dtype)


@op("Mod")
def Mod(ctx, A, B, *, fmod=0):
    """Mod-10/13/28: integers with fmod 0 (the divisor's sign) or 1 (the dividend's); floats with fmod = 1, and
    from opset 28 with fmod = 0 too (A - floor(A / B) * B; kernels/functors/binary.hpp)."""
    dtype = same_dtype(ctx, A, B)
    if dtype in dtypes.FLOATS and not fmod and ctx.opset < 28:
        raise ModelError(f"{ctx.where}: Mod of floats needs fmod = 1 before opset 28 (ONNX Mod-13)")
    map_launch(ctx, Functor("Mod", (bool(fmod),)), [A, B], dtype)


@op("BitShift")
def BitShift(ctx, X, Y, *, direction):
    """BitShift-11 (unsigned types), BitShift-28 (signed too: right shifts are arithmetic)."""
    require(ctx, X, dtypes.UNSIGNED if ctx.opset < 28 else dtypes.INTEGERS)
    same_dtype(ctx, X, Y)
    if direction not in ("LEFT", "RIGHT"):
        raise ModelError(f"{ctx.where}: direction '{direction}' is neither LEFT nor RIGHT")
    map_launch(ctx, Functor("BitShift", (direction == "LEFT",)), [X, Y], X.dtype)


@op("PRelu")
def PRelu(ctx, X, slope):
    """PRelu-16: slope broadcasts unidirectionally to X (opset < 7 had it per channel on axis 1: [C] -> [C, 1...])."""
    dtype = same_dtype(ctx, X, slope)
    if ctx.opset < 7 and slope.rank == 1 and X.rank > 2:
        slope = Tensor(slope.name, slope.dtype, slope.shape + (1,) * (X.rank - 2), slope.value)
    map_launch(ctx, Functor("PRelu"), [X, slope], dtype, shape=X.shape)


@op("Where")
def Where(ctx, condition, X, Y):
    require(ctx, condition, ("bool",), "condition")
    map_launch(ctx, Functor("Where"), [condition, X, Y], same_dtype(ctx, X, Y))


def _chain(ctx, functor: Functor, inputs: list, dtype: str, scale=None):
    """functor folded over the inputs left to right (intermediate results in the workspace), all broadcast to
    their common shape; the result times `scale` when given (Mean)."""
    shape = broadcast(ctx.where, *(t.shape for t in inputs))
    if len(inputs) == 1 and scale is None:
        map_launch(ctx, Functor("Identity"), inputs, dtype, shape=shape)
        return
    current, current_shape = ctx.read(inputs[0]), inputs[0].shape
    steps = [(functor, t.shape, lambda t=t: ctx.read(t)) for t in inputs[1:]]
    if scale is not None:
        steps.append((Functor("Mul"), (), lambda: ctx.constant(np.array(scale, dtype))))
    for k, (fn, operand_shape, operand) in enumerate(steps):
        last = k == len(steps) - 1
        out = ctx.output(0, shape, dtype) if last else ctx.workspace(shape, dtype)
        ctx.launch("map", op=fn, out=out, ins=[current, operand()],
                   map=elementwise(shape, current_shape, operand_shape))
        current, current_shape = out, shape


def _variadic(op_type: str, functor: str, mean: bool = False):
    def lower(ctx, *inputs, **legacy):  # opset < 6 had a `consumed_inputs` attribute: ignored
        dtype = same_dtype(ctx, *inputs)
        if mean:
            require(ctx, inputs[0], dtypes.FLOATS)
        _chain(ctx, Functor(functor), list(inputs), dtype, 1.0 / len(inputs) if mean else None)
    lower.__name__ = op_type
    return lower


op("Sum")(_variadic("Sum", "Add"))
op("Max")(_variadic("Max", "Max"))
op("Min")(_variadic("Min", "Min"))
op("Mean")(_variadic("Mean", "Add", mean=True))
