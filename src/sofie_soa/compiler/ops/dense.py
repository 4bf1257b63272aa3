"""The dense layer: Gemm and MatMul with a constant float32 weight matrix, and the internal Dense node the fusion
passes make (MatMul + Add, folded BatchNormalization, fused activation), all lowered to the register-blocked
DenseKernel (kernels/dense.hpp). The layer runs over every leading position of its input, so a shared Linear on
[N, P, F] runs over N·P rows. Products of computed tensors, and other element types, are linalg.py's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ops import op

SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875

#: Activations a dense layer applies in its epilogue (kernels::UnaryKind), with their ONNX attribute defaults.
EPILOGUES = {
    "Relu": lambda a: ("relu", 0.0, 0.0),
    "LeakyRelu": lambda a: ("leaky_relu", a.get("alpha", 0.01), 0.0),
    "Elu": lambda a: ("elu", a.get("alpha", 1.0), 0.0),
    "Selu": lambda a: ("selu", a.get("alpha", SELU_ALPHA), a.get("gamma", SELU_GAMMA)),
    "Sigmoid": lambda a: ("sigmoid", 0.0, 0.0),
    "HardSigmoid": lambda a: ("hard_sigmoid", a.get("alpha", 0.2), a.get("beta", 0.5)),
    "Tanh": lambda a: ("tanh", 0.0, 0.0),
    "Softplus": lambda a: ("softplus", 0.0, 0.0),
    "Clip": lambda a: ("clip", a.get("min", -np.inf), a.get("max", np.inf)),
}
IDENTITY = ("identity", 0.0, 0.0)


@dataclass
class DenseLayer:
    """One layer of a dense launch (kernels::DenseLayer): weight [k, n] and bias [n] as weight Refs, the
    epilogue (UnaryKind name, alpha, beta), where the CPU plan packs the weight (codegen/pack_weights.py), and a
    [rows, n] tensor added before the epilogue (codegen/residual_epilogues.py)."""
    k: int
    n: int
    weight: object
    bias: object
    epilogue: tuple
    packed: object = None
    residual: object = None


def dense_applies(A, weight) -> bool:
    """Whether A · weight runs in the DenseKernel: float32 throughout, a constant 2-D weight."""
    return weight is not None and weight.ndim == 2 and A.dtype == "float32" and weight.dtype == np.float32


def dense(ctx, A, weight_kn: np.ndarray, bias_n, activation=None) -> None:
    """Output 0 = activation(A · weight_kn + bias_n): A [..., K] float32, weight [K, N], bias [N] or None."""
    k, n_out = weight_kn.shape
    if A.rank == 0 or A.shape[-1] != k:
        raise ModelError(f"{ctx.where}: input '{A.name}' of shape {A.shape} does not end in the weight's {k} rows")
    shape = tuple(A.shape[:-1]) + (n_out,)
    out = ctx.output(0, shape, "float32")
    epilogue = EPILOGUES[activation[0]](activation[1]) if activation else IDENTITY
    layer = DenseLayer(k, n_out, ctx.constant(np.ascontiguousarray(weight_kn, np.float32)),
                       None if bias_n is None else ctx.constant(np.ascontiguousarray(bias_n, np.float32)),
                       (epilogue[0], float(epilogue[1]), float(epilogue[2])))
    ctx.launch("dense", x=ctx.read(A), y=out, rows=shape[:-1], layers=[layer])


def row_bias(C, n: int):
    """C as a bias over rows ([N], [1, N], [1] or a scalar), or None when it is not one."""
    if C is None or C.value is None:
        return None
    value = np.asarray(C.value)
    if value.size == 1 or (value.ndim >= 1 and value.shape[-1] == n and value.size == n):
        return np.broadcast_to(value.reshape(-1), (n,)).astype(np.float64)
    return None


@op("Dense")
def Dense(ctx, X, W, B=None, *, activation=None):
    """Internal (made by passes/): X [..., K] · W [K, N] + B [N], then `activation` (op type, attributes)."""
    dense(ctx, X, W.value, None if B is None else B.value, activation)


def epilogue_functor(spec):
    """The kernels::fn functor of a dense epilogue (kind, alpha, beta), for layers run as separate launches."""
    from sofie_soa.codegen.launches import Functor
    kind, alpha, beta = spec
    name = {"identity": "Identity", "relu": "Relu", "leaky_relu": "LeakyRelu", "elu": "Elu", "selu": "Selu",
            "sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid", "tanh": "Tanh", "softplus": "Softplus",
            "clip": "Clip"}[kind]
    args = {"LeakyRelu": (alpha,), "Elu": (alpha,), "Selu": (alpha, beta), "HardSigmoid": (alpha, beta),
            "Clip": (alpha, beta)}.get(name, ())
    return Functor(name, args)
