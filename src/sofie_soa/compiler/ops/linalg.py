"""MatMul, Gemm and Einsum. A float32 product with a constant 2-D weight runs in the dense layer (dense.py); every
other product is one contraction launch (kernels/contraction.hpp), described as an Einsum: output subscripts,
reduction subscripts, and per operand the stride of each subscript (repeated subscripts add their strides: a
diagonal). MatMul is "...mk,...kn->...mn" with its batch dimensions broadcast."""

from __future__ import annotations

import re

import numpy as np

from sofie_soa.codegen import cpp
from sofie_soa.codegen.index_maps import IndexMap, simplify
from sofie_soa.codegen.launches import Functor, accessor, call, emitter, index_map
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import map_launch, require, same_dtype
from sofie_soa.compiler.ops.dense import dense, dense_applies, row_bias
from sofie_soa.compiler.ops.shapes import broadcast
from sofie_soa.compiler.symbolic import SymN, dims_equal, row_major_strides, size

NUMERIC = dtypes.FLOATS + dtypes.INTEGERS


def _extent_of(ctx, letter, operands, subscripts):
    extent = None
    for t, subs in zip(operands, subscripts):
        for d, s in zip(t.shape, subs):
            if s != letter:
                continue
            if extent is None or (not isinstance(extent, SymN) and extent == 1):
                extent = d
            elif not (not isinstance(d, SymN) and d == 1) and not dims_equal(d, extent):
                raise ModelError(f"{ctx.where}: subscript '{letter}' has extents {extent} and {d}")
    return extent


def contraction(ctx, operands, subscripts, output: str, dtype: str, out_index: int = 0, out=None):
    """out = einsum over `operands` (1 or 2 Tensors; subscripts one letter per axis, output letters `output`).
    An operand's axis of extent 1 broadcasts against the other's (MatMul's batch rule). Returns the output Ref."""
    letters = sorted(set("".join(subscripts)), key="".join(subscripts).index)
    extents = {x: _extent_of(ctx, x, operands, subscripts) for x in letters}
    reduced = [x for x in letters if x not in output]
    out_shape = tuple(extents[x] for x in output)
    if out is None:
        out = ctx.output(out_index, out_shape, dtype)

    def strides(t, subs, over):
        own = row_major_strides(t.shape)
        result = []
        for x in over:
            total = 0
            for d, s in enumerate(subs):
                if s == x and not (not isinstance(t.shape[d], SymN) and t.shape[d] == 1):
                    total = own[d] + total if isinstance(own[d], SymN) else total + own[d]
            result.append(total)
        return tuple(result)

    outer = simplify(IndexMap(out_shape, (row_major_strides(out_shape),) +
                              tuple(strides(t, s, output) for t, s in zip(operands, subscripts)),
                              (0,) * (1 + len(operands))))
    reduced_extents = tuple(extents[x] for x in reduced)
    inner = simplify(IndexMap(reduced_extents, tuple(strides(t, s, reduced) for t, s in zip(operands, subscripts)),
                              (0,) * len(operands)))
    if any(isinstance(e, SymN) for e in reduced_extents):
        raise ModelError(f"{ctx.where}: a sum over the element count is not supported")
    if size(out_shape) != 0:
        ctx.launch("contraction", out=out, ins=[ctx.read(t) for t in operands], outer=outer, inner=inner,
                   reduced=int(size(reduced_extents)))
    return out


@emitter("contraction")
def _emit(a: dict, plan, where: str) -> str:
    kernel = "ContractionKernel" if len(a["ins"]) == 2 else "ReductionSumKernel"
    return call(cpp.dim(a["outer"].count), kernel, index_map(a["outer"], where), index_map(a["inner"], where),
                cpp.int_literal(a["reduced"]), accessor(a["out"], plan, True),
                *(accessor(r, plan, False) for r in a["ins"]))


def _matmul_subscripts(ctx, A, B):
    """Subscripts of MatMul (NumPy matmul rules: 1-D operands get a dimension that is then dropped)."""
    if A.rank == 0 or B.rank == 0:
        raise ModelError(f"{ctx.where}: MatMul of a scalar")
    batch = max(A.rank, B.rank) - 2
    letters = "abcdefgh"[:max(batch, 0)]
    a = (letters[batch - (A.rank - 2):] if A.rank > 2 else "") + ("mk" if A.rank >= 2 else "k")
    b = (letters[batch - (B.rank - 2):] if B.rank > 2 else "") + ("kn" if B.rank >= 2 else "k")
    output = letters + ("m" if A.rank >= 2 else "") + ("n" if B.rank >= 2 else "")
    broadcast(ctx.where, A.shape[:-2], B.shape[:-2])        # ModelError when the batch dimensions do not broadcast
    if not dims_equal(A.shape[-1], B.shape[-2 if B.rank >= 2 else -1]):
        raise ModelError(f"{ctx.where}: MatMul of '{A.name}' {A.shape} and '{B.name}' {B.shape}: inner extents differ")
    return [a, b], output


@op("MatMul")
def MatMul(ctx, A, B):
    dtype = same_dtype(ctx, A, B)
    require(ctx, A, NUMERIC)
    if dense_applies(A, B.value) and A.rank >= 1:
        dense(ctx, A, B.value, None)
        return
    subscripts, output = _matmul_subscripts(ctx, A, B)
    contraction(ctx, [A, B], subscripts, output, dtype)


@op("Gemm")
def Gemm(ctx, A, B, C=None, *, alpha=1.0, beta=1.0, transA=0, transB=0, broadcast_=1):
    """Gemm: alpha · A' B' + beta · C, C broadcast to [M, N] (opset < 7's `broadcast` flag changes nothing here)."""
    dtype = same_dtype(ctx, A, B)
    if A.rank != 2 or B.rank != 2:
        raise ModelError(f"{ctx.where}: Gemm takes 2-D A and B, got {A.shape} and {B.shape}")
    n = B.shape[0 if transB else 1]
    if not transA and B.value is not None and dtype == "float32" and (C is None or row_bias(C, n) is not None):
        w = B.value.astype(np.float64)
        w = (w.T if transB else w) * alpha
        bias = None if C is None else (row_bias(C, n) * beta).astype(np.float32)
        dense(ctx, A, w.astype(np.float32), bias)
        return
    subscripts = ["km" if transA else "mk", "nk" if transB else "kn"]
    if C is None and alpha == 1.0:
        contraction(ctx, [A, B], subscripts, "mn", dtype)
        return
    product = contraction(ctx, [A, B], subscripts, "mn", dtype, out=ctx.workspace(
        (A.shape[1 if transA else 0], n), dtype))
    shape = (A.shape[1 if transA else 0], n)
    if C is None:
        from sofie_soa.compiler.ops import Tensor
        C = Tensor(f"{ctx.node.outputs[0]}#zero", dtype, (), np.zeros((), dtype))
    out = ctx.output(0, shape, dtype)
    from sofie_soa.codegen.index_maps import elementwise
    ctx.launch("map", op=Functor("Axpby", (float(alpha), float(beta))), out=out, ins=[product, ctx.read(C)],
               map=elementwise(shape, shape, C.shape))


_TERM = re.compile(r"^(?:[A-Za-z]|\.\.\.)*$")


def parse_einsum(ctx, equation: str, operands):
    """(input subscripts, output subscripts) of an Einsum equation, with "..." expanded into letters not used
    elsewhere and the implicit output (letters used once, in alphabetical order) made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands) or not all(_TERM.match(t) for t in terms + ([rhs] if arrow else [])):
        raise ModelError(f"{ctx.where}: Einsum equation '{equation}' does not match its {len(operands)} operands")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in equation]
    ellipsis_rank = max((t.rank - len(term.replace("...", "")) for t, term in zip(operands, terms) if "..." in term),
                        default=0)
    fill = "".join(free[:ellipsis_rank])
    expanded = []
    for t, term in zip(operands, terms):
        if "..." in term:
            k = t.rank - len(term.replace("...", ""))
            term = term.replace("...", fill[ellipsis_rank - k:])
        if len(term) != t.rank:
            raise ModelError(f"{ctx.where}: Einsum term '{term}' does not match operand '{t.name}' of rank {t.rank}")
        expanded.append(term)
    if arrow:
        output = rhs.replace("...", fill)
    else:
        counts = "".join(expanded)
        output = fill + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in fill))
    return expanded, output


@op("Einsum")
def Einsum(ctx, *inputs, equation):
    dtype = same_dtype(ctx, *inputs)
    if len(inputs) > 2:
        raise ModelError(f"{ctx.where}: Einsum of {len(inputs)} operands is supported up to 2")
    subscripts, output = parse_einsum(ctx, equation, inputs)
    contraction(ctx, list(inputs), subscripts, output, dtype)


__all__ = ["contraction", "map_launch"]
