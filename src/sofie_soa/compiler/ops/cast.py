"""Cast and CastLike: element type conversion with ONNX Cast semantics (kernels/types.hpp `cast`: float to
integer truncates toward zero, integer to a narrower integer wraps, anything to bool is x != 0; values beyond an
integer's range saturate where ONNX leaves them undefined)."""

from __future__ import annotations

from sofie_soa.codegen.launches import Functor
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import map_launch


@op("Cast")
def Cast(ctx, input, *, to, saturate=1, round_mode="up"):
    """`saturate` and `round_mode` concern the float8 and float4 types, which are refused."""
    target = dtypes.from_onnx(to, ctx.where + f": Cast of '{input.name}'")
    if target != input.dtype:
        map_launch(ctx, Functor("Identity"), [input], target)
    else:
        ctx.alias(0, input, input.shape)


@op("CastLike")
def CastLike(ctx, input, target_type, *, saturate=1, round_mode="up"):
    if target_type.dtype != input.dtype:
        map_launch(ctx, Functor("Identity"), [input], target_type.dtype)
    else:
        ctx.alias(0, input, input.shape)
