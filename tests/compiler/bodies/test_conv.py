"""Conv and ConvTranspose from compiler/bodies/conv.py against onnxruntime on a dynamic element count: 1-D, 2-D and
3-D; strides, dilations, asymmetric pads, auto_pad, output_padding and output_shape; bias or none; groups (2 and
depthwise); a weight that is a graph input (no dense fast path) as well as a constant one. Bad geometry is refused
naming the node."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

RNG = np.random.default_rng(11)

#       name               x shape (after N)  W shape         attributes                                     bias
CASES = [
    ("plain_2d",           [3, 7, 6],   [4, 3, 3, 3],   {},                                              True),
    ("strided_dilated",    [2, 9, 8],   [5, 2, 3, 2],   {"strides": [2, 1], "dilations": [2, 1],
                                                         "pads": [1, 0, 2, 1]},                          True),
    ("same_upper",         [2, 5, 5],   [3, 2, 2, 2],   {"auto_pad": "SAME_UPPER", "strides": [2, 2]},   False),
    ("same_lower",         [2, 5, 4],   [3, 2, 2, 3],   {"auto_pad": "SAME_LOWER"},                      True),
    ("valid_1d",           [4, 11],     [6, 4, 3],      {"auto_pad": "VALID", "strides": [3]},           True),
    ("pointwise_1d",       [16, 8],     [32, 16, 1],    {},                                              True),
    ("volume_3d",          [2, 4, 5, 3], [3, 2, 2, 3, 2], {"pads": [1, 0, 1, 0, 1, 1]},                  True),
    ("groups_2",           [4, 6, 5],   [6, 2, 3, 3],   {"group": 2, "pads": [1, 1, 1, 1]},              True),
    ("depthwise",          [5, 6, 6],   [5, 1, 3, 3],   {"group": 5, "pads": [1, 1, 1, 1],
                                                         "strides": [2, 2]},                             False),
]


#       name               x shape (after N)  W shape         attributes                                     bias
TRANSPOSED = [
    ("t_strided_padded",   [3, 4, 5],   [3, 2, 3, 3],   {"strides": [2, 2], "pads": [1, 0, 0, 1],
                                                         "output_padding": [1, 0]},                      True),
    ("t_dilated_1d",       [2, 6],      [2, 3, 2],      {"dilations": [2], "strides": [3]},              False),
    ("t_output_shape",     [2, 3, 3],   [2, 2, 3, 3],   {"strides": [2, 2], "output_shape": [6, 7]},     True),
    ("t_groups_2",         [4, 3, 2],   [4, 3, 2, 2],   {"group": 2, "auto_pad": "SAME_UPPER",
                                                         "strides": [2, 1]},                             True),
]


def _model(x_shape, w_shape, attrs, bias, weight_input=False, op="Conv"):
    w = numpy_helper.from_array(RNG.standard_normal(w_shape).astype(np.float32), "w")
    maps = w_shape[0] if op == "Conv" else w_shape[1] * attrs.get("group", 1)
    b = numpy_helper.from_array(RNG.standard_normal(maps).astype(np.float32), "b")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *x_shape])]
    if weight_input:
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, w_shape))
    node = helper.make_node(op, ["x", "w"] + (["b"] if bias else []), ["y"], **attrs)
    graph = helper.make_graph([node], "conv", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"] + [None] * (len(x_shape)))],
                              ([] if weight_input else [w]) + ([b] if bias else []))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    return model, numpy_helper.to_array(w)


@pytest.fixture(scope="module")
def compiled():
    models = [_model(x, w, a, b) for _, x, w, a, b in CASES]
    models.append(_model(*CASES[1][1:], weight_input=True))
    models += [_model(x, w, a, b, op="ConvTranspose") for _, x, w, a, b in TRANSPOSED]
    sessions = compile_many([m for m, _ in models], "cpu_serial", names=NAMES)
    return list(zip(models, sessions))


NAMES = [c[0] for c in CASES] + ["weight_input"] + [c[0] for c in TRANSPOSED]


@pytest.mark.parametrize("index", range(len(NAMES)), ids=NAMES)
def test_conv_matches_onnxruntime(compiled, index):
    (model, weight), session = compiled[index]
    reference = ort.InferenceSession(model.SerializeToString())
    feeds_shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    for n in (1, 7):
        feeds = {"x": RNG.standard_normal([n, *feeds_shape]).astype(np.float32)}
        if len(model.graph.input) > 1:
            feeds["w"] = weight
        want = reference.run(None, feeds)[0]
        got = session.infer(feeds if len(feeds) > 1 else feeds["x"], ss.Queue("cpu_serial"))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_bad_geometry_is_refused_naming_the_node():
    model, _ = _model([3, 7, 6], [4, 2, 3, 3], {}, True)          # W has 2 input channels, X 3
    model.graph.node[0].name = "stem"
    with pytest.raises(ss.ModelError, match=r"node 'stem' \(Conv\): X has 3 channels and W \[4, 2, 3, 3\]"):
        ss.compile(model, "cpu_serial")
    model, _ = _model([3, 2, 6], [4, 3, 3, 3], {}, False)         # a 3-row kernel on 2 rows
    with pytest.raises(ss.ModelError, match="does not fit spatial axis 0 of extent 2"):
        ss.compile(model, "cpu_serial")
