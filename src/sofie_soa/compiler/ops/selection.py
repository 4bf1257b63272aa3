"""The selection family: TopK (kernels/topk.hpp), and NonZero where its input is known at compile time.

  TopK-1/10/11  X [..., d, ...], K (int64 [1], known at compile time; TopK-1: attribute k) -> Values, Indices
                (int64) [..., K, ...] along `axis` (default −1): the K largest (largest=1) or smallest elements in
                order, equal values by the lower index (ONNX TopK-11); sorted=0 gets them sorted as well. NaN
                counts as larger than every number.
  NonZero-9/13  folded at compile time (its output's extent is the data's count of non-zero elements): X must be
                known then (UnsupportedOperator otherwise).
"""

from __future__ import annotations

import numpy as np

from sofie_soa.codegen import cpp
from sofie_soa.codegen.launches import accessor, call, emitter
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.symbolic import SymN, size


@op("TopK")
def TopK(ctx, X, K=None, *, axis=-1, largest=1, sorted=1, k=None):
    if X.rank == 0:
        raise ModelError(f"{ctx.where}: TopK of the scalar '{X.name}'")
    a = axis % X.rank if -X.rank <= axis < X.rank else None
    if a is None:
        raise ModelError(f"{ctx.where}: axis {axis} is outside the {X.rank} axes of '{X.name}' {X.shape}")
    count = K.ints("K", ctx)[0] if K is not None else k
    extent = X.shape[a]
    if isinstance(extent, SymN) or isinstance(count, SymN):
        raise ModelError(f"{ctx.where}: TopK along axis {a} of '{X.name}' {X.shape} needs that extent and K known "
                         f"at compile time")
    if count is None or not 0 <= int(count) <= int(extent):
        raise ModelError(f"{ctx.where}: K = {count} is not within [0, {extent}] (axis {a} of '{X.name}' {X.shape})")
    shape = tuple(X.shape[:a]) + (int(count),) + tuple(X.shape[a + 1:])
    values, indices = ctx.output(0, shape, X.dtype), ctx.output(1, shape, "int64")
    inner = size(X.shape[a + 1:])
    ctx.launch("topk", x=ctx.read(X), values=values, indices=indices, lines=size(X.shape[:a]) * inner,
               extent=int(extent), inner=inner, k=int(count), largest=bool(largest))


@emitter("topk")
def _topk(a: dict, plan, where: str) -> str:
    return call(cpp.dim(a["lines"]), "TopKKernel", accessor(a["x"], plan, False), accessor(a["values"], plan, True),
                accessor(a["indices"], plan, True), str(a["extent"]), cpp.dim(a["inner"]), str(a["k"]),
                "true" if a["largest"] else "false")


@op("NonZero")
def NonZero(ctx, X):
    if X.value is None or X.value.dtype == object:
        raise UnsupportedOperator(f"{ctx.where}: operator NonZero (opset {ctx.opset}) is not supported on '{X.name}', "
                                  f"known only at run time (its output's extent is the data's count of non-zero "
                                  f"elements); it folds where its input is known at compile time")
    ctx.output(0, (X.rank, int(np.count_nonzero(X.value))), "int64")
