"""What most operators do: one element-wise launch of a functor over broadcast operands (kernels/map.hpp)."""

from __future__ import annotations

from sofie_soa.codegen.index_maps import elementwise
from sofie_soa.codegen.launches import Functor
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops.shapes import broadcast


def map_launch(ctx, functor: Functor, inputs: list, dtype: str, output: int = 0, shape=None):
    """Output `output` = functor(inputs...) element by element, the inputs broadcast (ONNX multidirectional rules)
    to `shape` (by default their broadcast shape); its dtype is `dtype`. Returns the output's Ref."""
    shape = tuple(shape) if shape is not None else broadcast(ctx.where, *(t.shape for t in inputs)) if inputs else ()
    out = ctx.output(output, shape, dtype)
    ctx.launch("map", op=functor, out=out, ins=[ctx.read(t) for t in inputs],
               map=elementwise(shape, *(t.shape for t in inputs)))
    return out


def require(ctx, t, allowed, what: str = "") -> None:
    """ModelError unless tensor `t` has one of the `allowed` dtypes (ONNX type constraints of the operator)."""
    if t.dtype not in allowed:
        raise ModelError(f"{ctx.where}: {what or 'input'} '{t.name}' has element type {t.dtype}; "
                         f"{ctx.node.op_type} takes {', '.join(allowed)}")


def same_dtype(ctx, *tensors) -> str:
    """The common dtype of `tensors` (ModelError when they differ, as ONNX's type constraints require)."""
    kinds = {t.dtype for t in tensors if t is not None}
    if len(kinds) > 1:
        raise ModelError(f"{ctx.where}: inputs {', '.join(repr(t.name) for t in tensors if t is not None)} differ in "
                         f"element type ({', '.join(sorted(kinds))})")
    return kinds.pop()


NUMERIC = dtypes.FLOATS + dtypes.INTEGERS
SIGNED_NUMERIC = dtypes.FLOATS + dtypes.SIGNED
