"""LSTM, GRU and RNN from compiler/bodies/recurrent.py against onnxruntime: batch-first (layout 1) on a dynamic
element count, against onnxruntime's layout 0 (it has no layout 1) on transposed data, and sequence-first
(layout 0) with the batch on axis 1; forward, reverse and bidirectional;
sequence_lens of varying lengths (the reverse direction starts at each entry's last step); initial states;
peepholes; clip; linear_before_reset; activations other than the defaults, with alphas and betas."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

RNG = np.random.default_rng(13)
T, I, H = 5, 3, 4
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}

#      name                op      layout  direction        sequence_lens  initial  attributes
CASES = [
    ("lstm_batch_first",  "LSTM",  1, "forward",        False, True,  {}),
    ("lstm_lengths_bi",   "LSTM",  0, "bidirectional",  True,  False, {"clip": 2.0}),
    ("lstm_peephole_rev", "LSTM",  1, "reverse",        True,  True,  {"peepholes": True}),
    ("gru_lbr",           "GRU",   1, "bidirectional",  False, True,  {"linear_before_reset": 1}),
    ("gru_lengths",       "GRU",   0, "reverse",        True,  False, {"activations": ["HardSigmoid", "LeakyRelu"],
                                                                       "activation_alpha": [0.3, 0.2],
                                                                       "activation_beta": [0.4]}),
    ("rnn_relu",          "RNN",   1, "forward",        True,  True,  {"activations": ["Relu"]}),
]


def _model(op, layout, direction, lengths, initial, attrs):
    attrs = dict(attrs)
    peepholes = attrs.pop("peepholes", False)
    d, g = 2 if direction == "bidirectional" else 1, GATES[op]
    inits = [numpy_helper.from_array(RNG.standard_normal(s).astype(np.float32) * 0.5, n)
             for n, s in (("W", (d, g * H, I)), ("R", (d, g * H, H)), ("B", (d, 2 * g * H)))]
    x_shape = ["N", T, I] if layout else [T, "N", I]       # the dynamic extent N is the batch
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)]
    names = ["x", "W", "R", "B", "", "", "", ""]
    if lengths:
        inputs.append(helper.make_tensor_value_info("lengths", TensorProto.INT32, ["N"]))
        names[4] = "lengths"
    if initial:
        shape = ["N", d, H] if layout else [d, "N", H]
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ("h0", "c0")[:1 + (op == "LSTM")]]
        names[5:5 + 1 + (op == "LSTM")] = ["h0", "c0"][:1 + (op == "LSTM")]
    if peepholes:
        inits.append(numpy_helper.from_array(RNG.standard_normal((d, 3 * H)).astype(np.float32), "P"))
        names[7] = "P"
    names = names[:8 if op == "LSTM" else 6]
    while names[-1] == "":
        names.pop()
    outputs = ["y", "y_h"] + (["y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outputs, hidden_size=H, direction=direction, layout=layout, **attrs)
    y_shape = ["N", T, d, H] if layout else [T, d, "N", H]
    h_shape = ["N", d, H] if layout else [d, "N", H]
    graph = helper.make_graph([node], op, inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)] +
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, h_shape) for o in outputs[1:]],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


def _sequence_first(model):
    """The layout-0 twin of a layout-1 model (the same weights; X, states and outputs with T or D first)."""
    twin = type(model)()
    twin.CopyFrom(model)
    node = twin.graph.node[0]
    layout = next(a for a in node.attribute if a.name == "layout")
    if layout.i == 0:
        return twin
    layout.i = 0
    for value in list(twin.graph.input) + list(twin.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) >= 3:
            order = [1, 2, 0, 3] if len(dims) == 4 else [1, 0, 2]
            copies = [type(dims[0])() for _ in dims]
            for c, d in zip(copies, dims):
                c.CopyFrom(d)
            for i, j in enumerate(order):
                dims[i].CopyFrom(copies[j])
    return twin


@pytest.fixture(scope="module")
def compiled():
    models = [_model(*c[1:]) for c in CASES]
    return list(zip(models, compile_many(models, "cpu_serial", names=[c[0] for c in CASES])))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_recurrent_layers_match_onnxruntime(compiled, index):
    model, session = compiled[index]
    layout = CASES[index][2]
    reference = ort.InferenceSession(_sequence_first(model).SerializeToString())
    for n in (1, 6):
        feeds = {}
        for meta in model.graph.input:
            shape = [n if d.dim_param == "N" else d.dim_value for d in meta.type.tensor_type.shape.dim]
            feeds[meta.name] = (RNG.integers(1, T + 1, shape).astype(np.int32) if meta.name == "lengths"
                                else RNG.standard_normal(shape).astype(np.float32))
        sequence_first = {k: v.swapaxes(0, 1) if layout and v.ndim == 3 else v for k, v in feeds.items()}
        want = dict(zip([o.name for o in model.graph.output], reference.run(None, sequence_first)))
        if layout:      # Y [T, D, N, H] -> [N, T, D, H]; Y_h, Y_c [D, N, H] -> [N, D, H]
            want = {k: v.transpose(2, 0, 1, 3) if v.ndim == 4 else v.swapaxes(0, 1) for k, v in want.items()}
        got = session.infer(feeds, ss.Queue("cpu_serial"))
        for name, value in want.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-6, err_msg=f"{name}, n = {n}")


def test_sequences_longer_than_the_unrolling_limit_are_refused():
    model = _model("RNN", 1, "forward", False, False, {})
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 2000
    with pytest.raises(ss.ModelError, match="a sequence of 2000 steps is above the 1024"):
        ss.compile(model, "cpu_serial")
