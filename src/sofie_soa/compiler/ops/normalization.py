"""Normalisations: BatchNormalization at any rank (inference; statistics per channel on axis 1)."""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen.launches import Functor
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import Tensor, op
from sofie_soa.compiler.ops.common import map_launch, require


def _per_channel(t: Tensor, rank: int, value=None) -> Tensor:
    """A [C] tensor as [C, 1, ...] so that it broadcasts along axis 1 of a rank-`rank` input."""
    shape = tuple(t.shape) + (1,) * max(0, rank - 2)
    return Tensor(t.name, t.dtype, shape, t.value.reshape(shape) if value is None and t.value is not None else value)


@op("BatchNormalization")
def BatchNormalization(ctx, X, scale, B, input_mean, input_var, *, epsilon=1e-5, momentum=0.9, training_mode=0,
                       spatial=1, is_test=None, consumed_inputs=None):
    """BatchNormalization-15 in inference mode: with constant statistics one multiply-add by folded per-channel
    constants, else the full formula per element (kernels/functors/binary.hpp BatchNorm)."""
    require(ctx, X, dtypes.FLOATS)
    if training_mode:
        raise ModelError(f"{ctx.where}: BatchNormalization in training mode is not supported (inference only)")
    if X.rank < 2:
        raise ModelError(f"{ctx.where}: BatchNormalization takes [N, C, ...], '{X.name}' has shape {X.shape}")
    params = [scale, B, input_mean, input_var]
    if any(tuple(p.shape) != (X.shape[1],) for p in params):
        raise ModelError(f"{ctx.where}: scale, bias, mean and var must have shape [{X.shape[1]}] (the channels of "
                         f"'{X.name}')")
    if all(p.value is not None for p in params):
        s, b, mean, var = (p.value.astype(np.float64) for p in params)
        factor = s / np.sqrt(var + epsilon)
        scale_t = Tensor(f"{ctx.node.outputs[0]}#bn_scale", X.dtype, (X.shape[1],), factor.astype(X.dtype))
        shift_t = Tensor(f"{ctx.node.outputs[0]}#bn_shift", X.dtype, (X.shape[1],), (b - mean * factor).astype(X.dtype))
        map_launch(ctx, Functor("MulAdd"), [X, _per_channel(scale_t, X.rank), _per_channel(shift_t, X.rank)],
                   X.dtype, shape=X.shape)
        return
    map_launch(ctx, Functor("BatchNorm", (float(epsilon),)), [X] + [_per_channel(p, X.rank) for p in params],
               X.dtype, shape=X.shape)
