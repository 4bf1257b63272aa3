"""LSTM, GRU and RNN, their time loop unrolled into ONNX operators (bodies/__init__.py says what a body is).

  LSTM-7/14/22  X [T, B, I] (layout 0) or [B, T, I] (layout 1), W [D, 4H, I], R [D, 4H, H], B [D, 8H],
                sequence_lens [B], initial_h / initial_c [D, B, H], P [D, 3H] -> Y [T, D, B, H], Y_h, Y_c [D, B, H]
                (layout 1: [B, T, D, H] and [B, D, H]); gates i, o, f, c; peepholes, clip, input_forget
  GRU-7/14/22   gates z, r, h; linear_before_reset either way
  RNN-7/14/22   Ht = f(Xt·Wᵀ + Ht−1·Rᵀ + Wb + Rb)
  (ONNX LSTM-22, GRU-22, RNN-22; D = 2 for direction="bidirectional", else 1.)

The input projection of every step is one MatMul before the loop ([T, B, I] · [I, G·H], the dense tiles when W is
constant); each step then adds Ht−1·Rᵀ and applies the gates. T must be known at compile time; B may be the
dynamic element count. With sequence_lens, steps at or past an entry's length keep its state and write zeros to
Y, which also gives the reverse direction's start at length − 1. A missing initial state is zero: the first step
then has no recurrent term.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from sofie_soa.compiler.bodies.common import constant, function
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
MAX_STEPS = 1024        # time steps unrolled per direction (each adds about 20 nodes)
DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
# activation -> (takes alpha, takes beta, default alpha, default beta) (ONNX LSTM-22's list of functions)
ACTIVATIONS = {"Relu": (False, False, 0, 0), "Tanh": (False, False, 0, 0), "Sigmoid": (False, False, 0, 0),
               "Softsign": (False, False, 0, 0), "Softplus": (False, False, 0, 0),
               "LeakyRelu": (True, False, 0.01, 0), "ThresholdedRelu": (True, False, 1.0, 0),
               "Elu": (True, False, 1.0, 0), "HardSigmoid": (True, True, 0.2, 0.5),
               "ScaledTanh": (True, True, 1.0, 1.0), "Affine": (True, True, 1.0, 0.0)}


class _Builder:
    """Appends nodes with fresh output names; constants of the body's float dtype."""

    def __init__(self, dtype):
        self.nodes, self.count, self.dtype = [], 0, dtype

    def __call__(self, op: str, *inputs: str, **attrs) -> str:
        self.count += 1
        out = f"{op.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op, list(inputs), [out], **attrs))
        return out

    def const(self, value, dtype=None) -> str:
        self.count += 1
        name = f"const_{self.count}"
        self.nodes.append(constant(name, np.asarray(value, dtype=dtype or self.dtype)))
        return name

    def ints(self, values) -> str:
        return self.const(list(values), np.int64)

    def index(self, i: int) -> str:
        return self.const(i, np.int64)

    def slice(self, x: str, start: int, end: int, axis: int) -> str:
        return self("Slice", x, self.ints([start]), self.ints([end]), self.ints([axis]))

    def activation(self, name: str, alpha, beta, x: str) -> str:
        if name == "ScaledTanh":
            return self("Mul", self.const(alpha), self("Tanh", self("Mul", x, self.const(beta))))
        if name == "Affine":
            return self("Add", self("Mul", x, self.const(alpha)), self.const(beta))
        takes_alpha, takes_beta, _, _ = ACTIVATIONS[name]
        attrs = ({"alpha": float(alpha)} if takes_alpha else {}) | ({"beta": float(beta)} if takes_beta else {})
        return self(name, x, **attrs)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _activations(node: Node, directions: int) -> list:
    """Per direction, the (name, alpha, beta) of each activation function (alphas and betas consumed in order by
    the functions that take them)."""
    names = [_text(a) for a in node.attrs.get("activations", [])] or DEFAULT_ACTIVATIONS[node.op_type] * directions
    per = len(DEFAULT_ACTIVATIONS[node.op_type])
    if len(names) == per and directions == 2:
        names = names * 2
    if len(names) != per * directions:
        raise ModelError(f"{node.describe()}: activations {names} should name {per * directions} functions")
    alphas, betas = list(node.attrs.get("activation_alpha", [])), list(node.attrs.get("activation_beta", []))
    chosen = []
    for name in names:
        canonical = next((a for a in ACTIVATIONS if a.lower() == name.lower()), None)
        if canonical is None:
            raise ModelError(f"{node.describe()}: activation function {name!r} is not one of {sorted(ACTIVATIONS)}")
        takes_alpha, takes_beta, alpha, beta = ACTIVATIONS[canonical]
        alpha = alphas.pop(0) if takes_alpha and alphas else alpha
        beta = betas.pop(0) if takes_beta and betas else beta
        chosen.append((canonical, alpha, beta))
    return [chosen[d * per:(d + 1) * per] for d in range(directions)]


def _present(node: Node, i: int) -> bool:
    return len(node.inputs) > i and bool(node.inputs[i])


def recurrent(node: Node, input_types: list):
    x = input_types[0]
    if x is None or len(x.shape) != 3 or input_types[1] is None:
        return None
    kind, gates = node.op_type, GATES[node.op_type]
    layout = int(node.attrs.get("layout", 0))
    try:
        steps = int(x.shape[1 if layout else 0])
        hidden = int(node.attrs.get("hidden_size", input_types[2].shape[-1]))
    except (TypeError, AttributeError):
        return None
    if steps > MAX_STEPS:
        raise ModelError(f"{node.describe()}: a sequence of {steps} steps is above the {MAX_STEPS} this compiler "
                         f"unrolls")
    direction = _text(node.attrs.get("direction", "forward"))
    if direction not in ("forward", "reverse", "bidirectional"):
        raise ModelError(f"{node.describe()}: direction {direction!r} is not forward, reverse or bidirectional")
    directions = 2 if direction == "bidirectional" else 1
    functions = _activations(node, directions)
    clip = node.attrs.get("clip")
    b = _Builder(x.dtype)
    seq = b("Transpose", "X", perm=[1, 0, 2]) if layout else "X"                           # [T, B, I]

    def state(name: str, d: int) -> str | None:
        i = {"initial_h": 5, "initial_c": 6}[name]
        if not _present(node, i):
            return None
        s = b("Transpose", name, perm=[1, 0, 2]) if layout else name                       # [D, B, H]
        return b("Gather", s, b.index(d), axis=0)

    has_lengths = _present(node, 4)
    lengths = b("Cast", "sequence_lens", to=7) if has_lengths else None
    zero = b.const(0.0) if has_lengths else None

    def keep(t: int, new: str, old: str | None) -> str:
        """With sequence_lens: `new` where step t lies inside the entry's sequence, else `old` (zero if None)."""
        if not has_lengths:
            return new
        inside = b("Unsqueeze", b("Less", b.index(t), lengths), b.ints([1]))                # [B, 1]
        return b("Where", inside, new, old or zero)

    def clipped(v: str) -> str:
        return v if clip is None else b("Clip", v, b.const(-float(clip)), b.const(float(clip)))

    ys, hs, cs = [], [], []
    for d in range(directions):
        (f, *rest) = functions[d]
        w = b("Transpose", b("Gather", "W", b.index(d), axis=0))                          # [I, G·H]
        r = b("Transpose", b("Gather", "R", b.index(d), axis=0))                          # [H, G·H]
        projected = b("MatMul", seq, w)                                                   # [T, B, G·H]
        recurrent_bias = None
        if _present(node, 3):
            both = b("Gather", "B", b.index(d), axis=0)                                   # [2·G·H]
            wb, rb = b.slice(both, 0, gates * hidden, 0), b.slice(both, gates * hidden, 2 * gates * hidden, 0)
            if kind == "GRU" and node.attrs.get("linear_before_reset", 0):
                projected = b("Add", projected, wb)
                recurrent_bias = rb
            else:
                projected = b("Add", projected, b("Add", wb, rb))
        peephole = b("Gather", "P", b.index(d), axis=0) if kind == "LSTM" and _present(node, 7) else None
        h, c = state("initial_h", d), state("initial_c", d) if kind == "LSTM" else None
        outputs = [None] * steps
        reverse = direction == "reverse" or d == 1
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            step = b("Gather", projected, b.index(t), axis=0)                              # [B, G·H]
            if kind == "GRU":
                h_new = _gru_step(b, step, h, r, recurrent_bias, hidden, f, rest[0], clipped,
                                  bool(node.attrs.get("linear_before_reset", 0)))
            elif kind == "RNN":
                total = step if h is None else b("Add", step, b("MatMul", h, r))
                h_new = b.activation(*f, clipped(total))
            else:
                h_new, c_new = _lstm_step(b, step, h, c, r, peephole, hidden, f, rest, clipped,
                                          bool(node.attrs.get("input_forget", 0)))
                c = keep(t, c_new, c)
            outputs[t] = b("Unsqueeze", keep(t, h_new, None), b.ints([0]))
            h = keep(t, h_new, h)
        ys.append(b("Unsqueeze", b("Concat", *outputs, axis=0), b.ints([1])))              # [T, 1, B, H]
        hs.append(b("Unsqueeze", h, b.ints([0])))
        cs.append(b("Unsqueeze", c, b.ints([0])) if c is not None else None)
    y = b("Concat", *ys, axis=1) if directions == 2 else ys[0]                               # [T, D, B, H]
    y_h = b("Concat", *hs, axis=0) if directions == 2 else hs[0]                             # [D, B, H]
    finals = [("Y", b("Transpose", y, perm=[2, 0, 1, 3]) if layout else y),
              ("Y_h", b("Transpose", y_h, perm=[1, 0, 2]) if layout else y_h)]
    if kind == "LSTM":
        y_c = b("Concat", *cs, axis=0) if directions == 2 else cs[0]
        finals.append(("Y_c", b("Transpose", y_c, perm=[1, 0, 2]) if layout else y_c))
    b.nodes += [helper.make_node("Identity", [value], [name]) for name, value in finals]
    inputs = ["X", "W", "R", "B", "sequence_lens", "initial_h"] + (["initial_c", "P"] if kind == "LSTM" else [])
    return function(kind, inputs, [name for name, _ in finals], b.nodes)


def _lstm_step(b, step, h, c, r, peephole, hidden, f, rest, clipped, input_forget):
    g, act_h = rest
    total = step if h is None else b("Add", step, b("MatMul", h, r))
    gate = [b.slice(total, k * hidden, (k + 1) * hidden, 1) for k in range(4)]            # i, o, f, c
    peep = [b.slice(peephole, k * hidden, (k + 1) * hidden, 0) for k in range(3)] if peephole else None
    i_pre, f_pre = gate[0], gate[2]
    if peep and c is not None:
        i_pre, f_pre = b("Add", i_pre, b("Mul", peep[0], c)), b("Add", f_pre, b("Mul", peep[2], c))
    i = b.activation(*f, clipped(i_pre))
    forget = b("Sub", b.const(1.0), i) if input_forget else b.activation(*f, clipped(f_pre))
    candidate = b.activation(*g, clipped(gate[3]))
    c_new = b("Mul", i, candidate)
    if c is not None:
        c_new = b("Add", c_new, b("Mul", forget, c))
    o_pre = b("Add", gate[1], b("Mul", peep[1], c_new)) if peep else gate[1]
    o = b.activation(*f, clipped(o_pre))
    return b("Mul", o, b.activation(*act_h, c_new)), c_new


def _gru_step(b, step, h, r, recurrent_bias, hidden, f, g, clipped, linear_before_reset):
    x_z, x_r, x_h = (b.slice(step, k * hidden, (k + 1) * hidden, 1) for k in range(3))
    rb = [b.slice(recurrent_bias, k * hidden, (k + 1) * hidden, 0) for k in range(3)] if recurrent_bias else None
    if h is None:
        z = b.activation(*f, clipped(b("Add", x_z, rb[0]) if rb else x_z))
        r_gate_h = rb[2] if rb and linear_before_reset else None
        if r_gate_h is not None:
            r_gate = b.activation(*f, clipped(b("Add", x_r, rb[1])))
            x_h = b("Add", x_h, b("Mul", r_gate, r_gate_h))
        candidate = b.activation(*g, clipped(x_h))
        return b("Mul", b("Sub", b.const(1.0), z), candidate)
    r_z, r_r, r_h = (b.slice(r, k * hidden, (k + 1) * hidden, 1) for k in range(3))
    hz, hr = b("MatMul", h, r_z), b("MatMul", h, r_r)
    if rb:
        hz, hr = b("Add", hz, rb[0]), b("Add", hr, rb[1])
    z = b.activation(*f, clipped(b("Add", x_z, hz)))
    reset = b.activation(*f, clipped(b("Add", x_r, hr)))
    if linear_before_reset:
        hh = b("MatMul", h, r_h)
        hh = b("Add", hh, rb[2]) if rb else hh
        pre = b("Add", x_h, b("Mul", reset, hh))
    else:
        pre = b("Add", x_h, b("MatMul", b("Mul", reset, h), r_h))
    candidate = b.activation(*g, clipped(pre))
    one_minus = b("Sub", b.const(1.0), z)
    return b("Add", b("Mul", one_minus, candidate), b("Mul", z, h))
