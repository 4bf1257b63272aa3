"""Element-wise operators of one operand: unary math, activations, predicates (kernels/functors/unary.hpp)."""

from __future__ import annotations

from sofie_soa.codegen.index_maps import elementwise
from sofie_soa.codegen.launches import Functor
from sofie_soa.compiler import dtypes
from sofie_soa.compiler.ops import op
from sofie_soa.compiler.ops.common import NUMERIC, SIGNED_NUMERIC, map_launch, require

SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875

# ONNX op type -> the dtypes it takes (its type constraint T).
_FLOAT_ONLY = ["Sqrt", "Exp", "Log", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
               "Atanh", "Erf", "Sigmoid", "Tanh", "Softplus", "Softsign", "Reciprocal", "Floor", "Ceil", "Round",
               "HardSwish", "Mish"]
_SIGNED = ["Neg"]
_NUMERIC = ["Abs", "Sign"]


def _plain(op_type: str, allowed):
    def lower(ctx, X):
        require(ctx, X, allowed)
        map_launch(ctx, Functor(op_type), [X], X.dtype)
    lower.__name__ = op_type
    return lower


for _t in _FLOAT_ONLY:
    op(_t)(_plain(_t, dtypes.FLOATS))
for _t in _SIGNED:
    op(_t)(_plain(_t, SIGNED_NUMERIC))
for _t in _NUMERIC:
    op(_t)(_plain(_t, NUMERIC))


@op("Relu")
def Relu(ctx, X):
    require(ctx, X, SIGNED_NUMERIC)
    map_launch(ctx, Functor("Relu"), [X], X.dtype)


@op("LeakyRelu")
def LeakyRelu(ctx, X, *, alpha=0.01):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("LeakyRelu", (float(alpha),)), [X], X.dtype)


@op("Elu")
def Elu(ctx, X, *, alpha=1.0):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("Elu", (float(alpha),)), [X], X.dtype)


@op("Selu")
def Selu(ctx, X, *, alpha=SELU_ALPHA, gamma=SELU_GAMMA):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("Selu", (float(alpha), float(gamma))), [X], X.dtype)


@op("Celu")
def Celu(ctx, X, *, alpha=1.0):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("Celu", (float(alpha),)), [X], X.dtype)


@op("HardSigmoid")
def HardSigmoid(ctx, X, *, alpha=0.2, beta=0.5):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("HardSigmoid", (float(alpha), float(beta))), [X], X.dtype)


@op("ThresholdedRelu")
def ThresholdedRelu(ctx, X, *, alpha=1.0):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("ThresholdedRelu", (float(alpha),)), [X], X.dtype)


@op("Shrink")
def Shrink(ctx, input, *, bias=0.0, lambd=0.5):
    require(ctx, input, NUMERIC)
    map_launch(ctx, Functor("Shrink", (float(lambd), float(bias))), [input], input.dtype)


@op("Gelu")
def Gelu(ctx, X, *, approximate="none"):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("Gelu", (approximate == "tanh",)), [X], X.dtype)


@op("Swish")
def Swish(ctx, X, *, alpha=1.0):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("Swish", (float(alpha),)), [X], X.dtype)


@op("Clip")
def Clip(ctx, input, min=None, max=None, **attrs):
    """Clip-6 takes min/max attributes; Clip-11+ takes them as optional inputs, here known at compile time or
    applied as Max and Min launches."""
    require(ctx, input, NUMERIC)
    bounds = []
    for bound, key in ((min, "min"), (max, "max")):
        if bound is None:
            bounds.append(attrs.get(key + "_"))
        elif bound.value is not None:
            bounds.append(bound.value.reshape(-1)[0].item())
        else:
            bounds.append(bound)
    if any(not isinstance(b, (int, float, type(None))) for b in bounds):
        _clip_by_tensors(ctx, input, *bounds)
        return
    lo = float("-inf") if bounds[0] is None else bounds[0]
    hi = float("inf") if bounds[1] is None else bounds[1]
    map_launch(ctx, Functor("Clip", (float(lo), float(hi))), [input], input.dtype)


def _clip_by_tensors(ctx, input, lo, hi):
    """Clip with bounds computed at run time: Max(input, lo) into the workspace, then Min(·, hi) (or only one)."""
    steps = [(name, bound) for name, bound in (("Max", lo), ("Min", hi)) if bound is not None]
    source, source_shape = ctx.read(input), input.shape
    for k, (name, bound) in enumerate(steps):
        last = k == len(steps) - 1
        out = ctx.output(0, input.shape, input.dtype) if last else ctx.workspace(input.shape, input.dtype)
        ctx.launch("map", op=Functor(name), out=out, ins=[source, ctx.read(bound)],
                   map=elementwise(input.shape, source_shape, bound.shape))
        source = out


@op("IsNaN")
def IsNaN(ctx, X):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("IsNaN"), [X], "bool")


@op("IsInf")
def IsInf(ctx, X, *, detect_negative=1, detect_positive=1):
    require(ctx, X, dtypes.FLOATS)
    map_launch(ctx, Functor("IsInf", (bool(detect_positive), bool(detect_negative))), [X], "bool")


@op("Not")
def Not(ctx, X):
    require(ctx, X, ("bool",))
    map_launch(ctx, Functor("Not"), [X], "bool")


@op("BitwiseNot")
def BitwiseNot(ctx, X):
    require(ctx, X, dtypes.INTEGERS)
    map_launch(ctx, Functor("BitwiseNot"), [X], X.dtype)
