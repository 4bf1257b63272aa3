"""Element-wise operators: unary activations and math, binary arithmetic with broadcasting."""

from sofie_soa.compiler.ops import Tensor, op
from sofie_soa.compiler.ops.shapes import broadcast

SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875


def unary_spec(op_type: str, alpha=None, beta=None, gamma=None, min=None, max=None) -> tuple:
    """(kernel UnaryKind name, alpha, beta) of an ONNX unary operator, with the ONNX attribute defaults."""
    return {
        "Relu": ("relu", 0.0, 0.0),
        "LeakyRelu": ("leaky_relu", 0.01 if alpha is None else alpha, 0.0),
        "Elu": ("elu", 1.0 if alpha is None else alpha, 0.0),
        "Selu": ("selu", SELU_ALPHA if alpha is None else alpha, SELU_GAMMA if gamma is None else gamma),
        "Sigmoid": ("sigmoid", 0.0, 0.0),
        "HardSigmoid": ("hard_sigmoid", 0.2 if alpha is None else alpha, 0.5 if beta is None else beta),
        "Tanh": ("tanh", 0.0, 0.0),
        "Softplus": ("softplus", 0.0, 0.0),
        "Exp": ("exp", 0.0, 0.0),
        "Log": ("log", 0.0, 0.0),
        "Sqrt": ("sqrt", 0.0, 0.0),
        "Abs": ("abs", 0.0, 0.0),
        "Neg": ("neg", 0.0, 0.0),
        "Clip": ("clip", -3.4028234663852886e38 if min is None else min, 3.4028234663852886e38 if max is None else max),
    }[op_type]


def _unary(op_type):
    def lower(ctx, X, **attrs):
        out = ctx.output(0, X.shape)
        ctx.launch("unary", x=ctx.read(X), y=out, count=X.shape, op=unary_spec(op_type, **attrs))
    return lower


for _t in ["Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus",
           "Exp", "Log", "Sqrt", "Abs", "Neg"]:
    op(_t)(_unary(_t))


@op("Clip")
def Clip(ctx, input, min=None, max=None, **attrs):
    """Clip-6 takes min/max attributes; Clip-11+ takes them as (constant) inputs."""
    lo = float(min.value) if min is not None else attrs.get("min")
    hi = float(max.value) if max is not None else attrs.get("max")
    out = ctx.output(0, input.shape)
    ctx.launch("unary", x=ctx.read(input), y=out, count=input.shape, op=unary_spec("Clip", min=lo, max=hi))


def _binary(kind):
    def lower(ctx, A, B, *, broadcast_=0, axis=None):
        """Opset < 7 spells unidirectional broadcasting with broadcast=1 and aligns B at `axis` (default: right)."""
        if broadcast_ and axis is not None:
            rank = len(A.shape)
            axis = axis % rank
            B = Tensor(B.name, tuple(B.shape) + (1,) * (rank - axis - len(B.shape)), B.value)
        shape = broadcast(A.shape, B.shape, ctx.where)
        out = ctx.output(0, shape)
        ctx.launch("binary", a=ctx.read(A), b=ctx.read(B), y=out, count=shape, kind=kind,
                   shapes=(shape, A.shape, B.shape))
    return lower


for _t, _kind in [("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div")]:
    op(_t)(_binary(_kind))
