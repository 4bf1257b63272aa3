"""Values computed at compile time (used by passes/infer.py):

- Shape and Size from their input's type, and Constant from its attribute: always;
- a node whose inputs are all known constants, with the onnx package's reference evaluator — only for operators
  this compiler supports, and only when its outputs stay under FOLD_LIMIT_BYTES (a ModelError beyond);
- shape arithmetic over the element count N (values holding SymN, NumPy object arrays) for the operators
  exporters use on shapes: Gather, Slice, Concat, Squeeze, Unsqueeze, Reshape, Expand, Identity, Cast, Add,
  Sub, Mul, Div, Mod, Neg, Abs, Max, Min, Equal, Where, ReduceProd, ConstantOfShape, Range.

fold() returns the output values, or None when the node must run at run time.
"""

from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node, TensorType
from sofie_soa.compiler.symbolic import NotExpressible, SymN, coefficients, is_symbolic

FOLD_LIMIT_BYTES = int(os.environ.get("SOFIE_SOA_FOLD_LIMIT", 256 * 2**20))


def constant_value(node: Node) -> np.ndarray:
    """The value of a Constant node (value, value_float(s), value_int(s); sparse and string forms refused)."""
    a = node.attrs
    if "value" in a:
        return np.asarray(a["value"])
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                       ("value_ints", np.int64)):
        if key in a:
            return np.asarray(a[key], dtype)
    raise ModelError(f"{node.describe()}: Constant of this form ({', '.join(a)}) is not supported")


def _shape_value(node: Node, t: TensorType) -> np.ndarray:
    shape = list(t.shape)
    if node.op_type == "Size":
        total = t.size
        return np.array(total, dtype=object) if isinstance(total, SymN) else np.array(total, np.int64)
    start, end = node.attrs.get("start", 0), node.attrs.get("end")
    rank = len(shape)
    start = max(0, min(rank, start + rank if start < 0 else start))
    end = rank if end is None else max(0, min(rank, end + rank if end < 0 else end))
    part = shape[start:end]
    return np.array(part, dtype=object if any(isinstance(d, SymN) for d in part) else np.int64).reshape(len(part))


def fold(node: Node, inputs: list, out_types: list[TensorType]):
    """Output values of `node` known at compile time, or None. `inputs` are Tensors (or None for omitted ones)."""
    if node.op_type in ("Shape", "Size"):
        return [_shape_value(node, TensorType(inputs[0].dtype, inputs[0].shape))]
    if node.op_type == "Constant":
        return [constant_value(node)]
    if node.op_type == "EyeLike":
        rows, cols = (int(d) for d in inputs[0].shape)
        return [np.eye(rows, cols, node.attrs.get("k", 0), dtype=out_types[0].dtype)]
    if node.op_type == "CastLike" and inputs[0].value is not None and not is_symbolic(inputs[0].value):
        # the target only gives the dtype: a constant cast like a tensor known at run time is a constant
        return [np.asarray(inputs[0].value).astype(out_types[0].dtype)]
    present = [t for t in inputs if t is not None]
    if any(t.value is None for t in present) or node.op_type in NEVER_FOLDED:
        return None
    if any(is_symbolic(t.value) for t in present):
        evaluate = SYMBOLIC.get(node.op_type)
        if evaluate is None:
            return None
        try:
            out = evaluate(node, [None if t is None else np.asarray(t.value) for t in inputs])
        except (NotExpressible, ValueError, IndexError, TypeError):
            return None
        return [_typed(v, t.dtype) for v, t in zip(out, out_types)]
    total = 0
    for t in out_types:
        a, b = coefficients(t.size)
        if a:
            return None
        total += b * t.itemsize
    if total > FOLD_LIMIT_BYTES:
        raise ModelError(f"{node.describe()}: folding it at compile time would make {total} bytes of constants, above "
                         f"the limit of {FOLD_LIMIT_BYTES} bytes (SOFIE_SOA_FOLD_LIMIT)")
    try:
        values = _reference(node, inputs)
    except Exception:  # noqa: BLE001 — the reference evaluator lacks a case: the node runs at run time instead
        return None
    return [np.asarray(v).astype(t.dtype, copy=False).reshape([int(d) for d in t.shape])
            for v, t in zip(values, out_types)]


# Operators whose outputs are not functions of their inputs' values alone at inference.
NEVER_FOLDED = {"Dropout"}


def _typed(value, dtype: str) -> np.ndarray:
    value = np.asarray(value)
    if value.dtype == object:
        if not is_symbolic(value):
            return value.astype(dtype)
        return value
    return value.astype(dtype, copy=False)


def _reference(node: Node, inputs: list) -> list:
    names = [t.name if t is not None else "" for t in inputs]
    proto = helper.make_node(node.op_type, names, node.outputs, **_plain_attrs(node))
    graph = helper.make_graph(
        [proto], "fold",
        [helper.make_tensor_value_info(t.name, dtypes.to_onnx(t.dtype), [int(d) for d in t.shape])
         for t in inputs if t is not None],
        [helper.make_empty_tensor_value_info(o) for o in node.outputs if o])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", node.opset)])
    feeds = {t.name: np.asarray(t.value) for t in inputs if t is not None}
    return ReferenceEvaluator(model).run(None, feeds)


def _plain_attrs(node: Node) -> dict:
    out = {}
    for key, value in node.attrs.items():
        if isinstance(value, np.ndarray):
            out[key] = onnx.numpy_helper.from_array(value)
        else:
            out[key] = value
    return out


# Symbolic evaluation: NumPy on object arrays, whose entries are ints or SymN (arithmetic in symbolic.py).

def _ints(value) -> list:
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _trunc_div(a, b):
    if isinstance(a, SymN) or isinstance(b, SymN):
        return a // b
    a, b = int(a), int(b)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _elementwise(fn):
    def evaluate(node, values):
        a, b = (np.asarray(v, dtype=object) for v in values[:2])
        return [np.frompyfunc(fn, 2, 1)(a, b)]
    return evaluate


def _equal(a, b):
    if isinstance(a, SymN) != isinstance(b, SymN):
        sym, other = (a, b) if isinstance(a, SymN) else (b, a)
        if sym.c > 0 and other < 0:           # N >= 0: c·N is never negative (exporters compare extents with -1)
            return False
        raise NotExpressible(f"whether {a} == {b} depends on N")
    return a == b


def _max(a, b, pick_max=True):
    if isinstance(a, SymN) or isinstance(b, SymN):
        sym, other = (a, b) if isinstance(a, SymN) else (b, a)
        if isinstance(other, SymN):
            return sym if (sym.c >= other.c) == pick_max else other
        if sym.c > 0 and other <= 0:          # N >= 0: c·N >= 0 >= other
            return sym if pick_max else other
        raise NotExpressible(f"{'max' if pick_max else 'min'}({a}, {b}) depends on N")
    return max(a, b) if pick_max else min(a, b)


def _gather(node, values):
    data, indices = values[0], np.asarray(values[1])
    axis = node.attrs.get("axis", 0) % max(data.ndim, 1)
    indices = np.where(indices < 0, indices + data.shape[axis], indices).astype(np.int64)
    return [np.take(data, indices, axis=axis)]


def _slice(node, values):
    data = values[0]
    if node.opset < 10:
        starts, ends = node.attrs["starts"], node.attrs["ends"]
        axes, steps = node.attrs.get("axes", list(range(len(starts)))), [1] * len(starts)
    else:
        starts, ends = _ints(values[1]), _ints(values[2])
        axes = _ints(values[3]) if len(values) > 3 and values[3] is not None else list(range(len(starts)))
        steps = _ints(values[4]) if len(values) > 4 and values[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[a % data.ndim] = slice(s, e, st)
    return [data[tuple(index)]]


def _concat(node, values):
    return [np.concatenate([np.asarray(v, dtype=object).reshape(np.shape(v)) for v in values], axis=node.attrs["axis"])]


def _axes(node, values, position):
    if len(values) > position and values[position] is not None:
        return _ints(values[position])
    return node.attrs.get("axes")


def _squeeze(node, values):
    axes = _axes(node, values, 1)
    data = values[0]
    return [np.squeeze(data, axis=tuple(a % data.ndim for a in axes)) if axes is not None else np.squeeze(data)]


def _unsqueeze(node, values):
    out = values[0]
    axes = sorted(a % (out.ndim + len(_axes(node, values, 1))) for a in _axes(node, values, 1))
    for a in axes:
        out = np.expand_dims(out, a)
    return [out]


def _reshape(node, values):
    data, shape = values[0], _ints(values[1])
    shape = [data.shape[i] if d == 0 and not node.attrs.get("allowzero", 0) else d for i, d in enumerate(shape)]
    return [data.reshape(shape)]


def _expand(node, values):
    shape = _ints(values[1])
    return [values[0] * np.ones(shape, dtype=np.int64).astype(object)]


def _where(node, values):
    return [np.where(np.asarray(values[0], dtype=bool), values[1], values[2])]


def _cast(node, values):
    to = dtypes.from_onnx(node.attrs["to"], node.describe())
    if to not in dtypes.INTEGERS:
        raise NotExpressible("a multiple of N cast to a non-integer type")
    return [values[0]]


def _reduce_prod(node, values):
    axes = _axes(node, values, 1)
    keep = node.attrs.get("keepdims", 1)
    out = np.prod(values[0], axis=None if axes is None else tuple(axes), keepdims=bool(keep))
    return [np.asarray(out, dtype=object)]


def _range(node, values):
    start, limit, delta = (np.asarray(v).reshape(()).item() for v in values)
    if isinstance(start, SymN) or isinstance(delta, SymN):
        raise NotExpressible("Range with a start or step of N")
    raise NotExpressible("Range up to N is computed at run time")


SYMBOLIC = {
    "Identity": lambda node, values: [values[0]],
    "Gather": _gather,
    "Slice": _slice,
    "Concat": _concat,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Reshape": _reshape,
    "Expand": _expand,
    "Where": _where,
    "Cast": _cast,
    "Add": _elementwise(lambda a, b: a + b),
    "Sub": _elementwise(lambda a, b: a - b),
    "Mul": _elementwise(lambda a, b: a * b),
    "Div": _elementwise(_trunc_div),
    "Mod": _elementwise(lambda a, b: a % b),
    "Max": _elementwise(lambda a, b: _max(a, b, True)),
    "Min": _elementwise(lambda a, b: _max(a, b, False)),
    "Equal": _elementwise(_equal),
    "Neg": lambda node, values: [-np.asarray(values[0], dtype=object)],
    "Abs": lambda node, values: [np.frompyfunc(lambda v: v if isinstance(v, SymN) and v.c > 0 else abs(v), 1, 1)(
        np.asarray(values[0], dtype=object))],
    "ReduceProd": _reduce_prod,
    "Range": _range,
}
