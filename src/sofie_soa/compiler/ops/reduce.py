"""The reduction family (kernels/reduce.hpp, kernels/cumulative.hpp):

  ReduceSum (1, 11, 13), ReduceMean, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare (1, 11, 13, 18), ReduceMax,
  ReduceMin (1, 11, 12, 13, 18, 20), ReduceLogSum, ReduceLogSumExp (1, 11, 13, 18, 28)
      data [d0, ..., dr-1] -> reduced: the kept axes' extents, each reduced axis as 1 with keepdims (dropped
      without); same element type. Axes as an attribute, or from ReduceSum-13 / the others' opset 18 on as an
      optional int64 input that must be known at compile time (the output's shape depends on it). No axes (or an
      empty list) reduces all axes, unless noop_with_empty_axes = 1 (13 / 18 on): then each element is reduced
      alone (Sum, Mean, Max: the input; SumSquare: x²; L1, L2: |x|; LogSum: log x), as ONNX Runtime and the
      reference do. Any set of axes, the element count N included (each output element then combines N values
      in one work item). Element types: the schema's constraint at the node's opset (bfloat16 is not supported),
      so integers reach LogSum/LogSumExp only before opset 28. Kernel semantics (integer wrap and truncation,
      NaN, empty sets): kernels/reduce.hpp.
  ArgMax, ArgMin (1, 11, 12, 13)
      data -> int64 indices along `axis` (keepdims; select_last_index from 12 on); a fixed axis of extent 0 is
      refused (ONNX leaves it undefined).
  CumSum (11, 14), CumProd (26)
      x -> same shape and type, the running sum (product) along `axis` (a 0-d or 1-element int32/int64 input
      known at compile time); exclusive, reverse.
"""

from __future__ import annotations

import onnx

from sofie_soa.codegen.index_maps import IndexMap, simplify
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import require
from sofie_soa.compiler.ops.shapes import normalize_axes, normalize_axis
from sofie_soa.compiler.symbolic import SymN, row_major_strides, size

_ONNX_TYPES = {"tensor(float16)": "float16", "tensor(float)": "float32", "tensor(double)": "float64",
               "tensor(bool)": "bool", **{f"tensor({t})": t for t in ("int8", "int16", "int32", "int64", "uint8",
                                                                       "uint16", "uint32", "uint64")}}


def schema_types(ctx, constraint: str = "T") -> tuple:
    """The dtypes type constraint `constraint` of the node's operator allows at its opset (onnx.defs)."""
    try:
        schema = onnx.defs.get_schema(ctx.node.op_type, ctx.opset, "")
    except onnx.defs.SchemaError:
        raise ModelError(f"{ctx.where}: ONNX defines no {ctx.node.op_type} at opset {ctx.opset}") from None
    allowed = next(c.allowed_type_strs for c in schema.type_constraints if c.type_param_str == constraint)
    return tuple(_ONNX_TYPES[t] for t in allowed if t in _ONNX_TYPES)


def _walks(shape: tuple, reduced: list) -> tuple[IndexMap, IndexMap]:
    """The walk over the kept axes (slots: output, input) and over the reduced axes (slot: input) of a row-major
    tensor of `shape`."""
    own = row_major_strides(shape)
    kept = [d for d in range(len(shape)) if d not in reduced]
    kept_extents = tuple(shape[d] for d in kept)
    outer = IndexMap(kept_extents, (row_major_strides(kept_extents), tuple(own[d] for d in kept)), (0, 0))
    inner = IndexMap(tuple(shape[d] for d in reduced), (tuple(own[d] for d in reduced),), (0,))
    return simplify(outer), simplify(inner)


def _reduction(kind: str, axes_input_since: int):
    def lower(ctx, data, axes_input=None, *, axes=None, keepdims=1, noop_with_empty_axes=0):
        require(ctx, data, schema_types(ctx))
        if axes_input is not None and ctx.opset < axes_input_since:
            raise ModelError(f"{ctx.where}: {ctx.node.op_type}-{ctx.opset} takes axes as an attribute, not an input")
        if axes_input is not None:
            require(ctx, axes_input, ("int64",), "axes")
        listed = axes_input.ints("axes", ctx) if axes_input is not None else list(axes or [])
        if listed:
            reduced = sorted(normalize_axes(listed, data.rank, ctx.where))
        else:
            reduced = [] if noop_with_empty_axes else list(range(data.rank))
        shape = tuple(data.shape)
        out_shape = tuple(1 if d in reduced else e for d, e in enumerate(shape) if keepdims or d not in reduced)
        out = ctx.output(0, out_shape, data.dtype)
        if size(out_shape) == 0:
            return
        outer, inner = _walks(shape, reduced)
        ctx.launch("reduce", kind=kind, out=out, x=ctx.read(data), outer=outer, inner=inner,
                   reduced=size(inner.extents))
    lower.__doc__ = f"ONNX {kind} reduction (see the module docstring)."
    return lower


for _name, _kind, _since in [("ReduceSum", "sum", 13), ("ReduceMean", "mean", 18), ("ReduceMax", "max", 18),
                             ("ReduceMin", "min", 18), ("ReduceProd", "prod", 18), ("ReduceL1", "l1", 18),
                             ("ReduceL2", "l2", 18), ("ReduceLogSum", "log_sum", 18),
                             ("ReduceLogSumExp", "log_sum_exp", 18), ("ReduceSumSquare", "sum_square", 18)]:
    op(_name)(_reduction(_kind, _since))


def _arg_reduction(kind: str):
    def lower(ctx, data, *, axis=0, keepdims=1, select_last_index=0):
        require(ctx, data, schema_types(ctx))
        if data.rank == 0:
            raise ModelError(f"{ctx.where}: {ctx.node.op_type} of a scalar ('{data.name}')")
        a = normalize_axis(axis, data.rank, ctx.where)
        shape = tuple(data.shape)
        length = shape[a]
        if not isinstance(length, SymN) and length == 0:
            raise ModelError(f"{ctx.where}: {ctx.node.op_type} along axis {a} of extent 0 ('{data.name}' {shape})")
        out_shape = tuple(1 if d == a else e for d, e in enumerate(shape) if keepdims or d != a)
        out = ctx.output(0, out_shape, "int64")
        if size(out_shape) == 0:
            return
        outer, _ = _walks(shape, [a])
        ctx.launch("arg_reduce", kind=kind, out=out, x=ctx.read(data), outer=outer, length=length,
                   stride=row_major_strides(shape)[a], last=bool(select_last_index))
    lower.__doc__ = f"ONNX {kind} (ArgMax/ArgMin-13: int64 indices along `axis`)."
    return lower


op("ArgMax")(_arg_reduction("max"))
op("ArgMin")(_arg_reduction("min"))


def _cumulative(kind: str):
    def lower(ctx, x, axis, *, exclusive=0, reverse=0):
        require(ctx, x, schema_types(ctx))
        require(ctx, axis, ("int32", "int64"), "axis")
        if axis.rank > 1 or size(axis.shape) != 1:
            raise ModelError(f"{ctx.where}: axis ('{axis.name}') must hold one value (0-d or 1-element 1-D), "
                             f"its shape is {axis.shape}")
        if x.rank == 0:
            raise ModelError(f"{ctx.where}: {ctx.node.op_type} of a scalar ('{x.name}')")
        a = normalize_axis(axis.ints("axis", ctx)[0], x.rank, ctx.where)
        shape = tuple(x.shape)
        out = ctx.output(0, shape, x.dtype)
        if size(shape) == 0:
            return
        inner = size(shape[a + 1:])
        ctx.launch("cumulative", kind=kind, y=out, x=ctx.read(x), lines=size(shape[:a] + shape[a + 1:]),
                   length=shape[a], inner=inner, exclusive=bool(exclusive), reverse=bool(reverse))
    lower.__doc__ = f"ONNX {'CumProd-26' if kind == 'product' else 'CumSum-14'} (see the module docstring)."
    return lower


op("CumSum")(_cumulative("sum"))
op("CumProd")(_cumulative("product"))
