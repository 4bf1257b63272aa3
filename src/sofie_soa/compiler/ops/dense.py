"""Gemm and MatMul with a constant weight matrix: the dense layer, with bias and activation fused."""

from dataclasses import dataclass

import numpy as np

from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.elementwise import unary_spec


@dataclass
class DenseLayer:
    """One layer of a dense launch (kernels::DenseLayer): weight [k, n] and bias [n] as weight-array Refs, and
    where the CPU plan packs the weight (codegen/pack_weights.py)."""
    k: int
    n: int
    weight: object
    bias: object
    epilogue: tuple
    packed: object = None


def _dense(ctx, A, weight_kn, bias_n, activation):
    """A: [..., K] -> [..., N] with weight [K, N] (float32, MatMul's B) and bias [N] or None."""
    k, n_out = weight_kn.shape
    if A.shape[-1] != k:
        raise ModelError(f"{ctx.where}: input '{A.name}' has {A.shape[-1]} features, the weight expects {k}")
    shape = tuple(A.shape[:-1]) + (n_out,)
    out = ctx.output(0, shape)
    epilogue = unary_spec(activation[0], **activation[1]) if activation else ("identity", 0.0, 0.0)
    bias = None if bias_n is None else ctx.constant(bias_n)
    layer = DenseLayer(k, n_out, ctx.constant(np.ascontiguousarray(weight_kn)), bias, epilogue)
    ctx.launch("dense", x=ctx.read(A, rows_of_last_dim=True), y=out, rows=shape[:-1], layers=[layer])


@op("Gemm")
def Gemm(ctx, A, B, C=None, *, alpha=1.0, beta=1.0, transA=0, transB=0, broadcast_=1, activation=None):
    """Gemm; opset < 7's `broadcast` flag changes nothing here: C is broadcast over rows either way."""
    if B.value is None or (C is not None and C.value is None) or transA:
        raise ModelError(f"{ctx.where}: Gemm is supported with a constant B (and C) and transA = 0")
    w = B.value.astype(np.float64)
    w = (w.T if transB else w) * alpha                                   # [K, N]
    bias = None
    if C is not None:
        if C.value.size not in (1, w.shape[1]) or (C.value.ndim == 2 and C.value.shape[0] != 1):
            raise ModelError(f"{ctx.where}: bias of shape {C.value.shape} is not broadcastable over rows")
        bias = np.broadcast_to(C.value.reshape(-1).astype(np.float64) * beta, (w.shape[1],))
    _dense(ctx, A, w.astype(np.float32), None if bias is None else bias.astype(np.float32), activation)


@op("MatMul")
def MatMul(ctx, A, B):
    if B.value is None or B.value.ndim != 2:
        raise ModelError(f"{ctx.where}: MatMul is supported with a constant 2-D right operand")
    _dense(ctx, A, B.value.astype(np.float32), None, None)
