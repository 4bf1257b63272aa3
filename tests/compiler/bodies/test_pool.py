"""The pools from compiler/bodies/pool.py against onnxruntime on a dynamic element count: MaxPool (ceil_mode,
dilations, pads, an integer dtype), AveragePool (count_include_pad either way, ceil_mode), LpPool, and the Global
forms; MaxPool's Indices output in both storage orders, and MaxUnpool of them."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

RNG = np.random.default_rng(12)

#       name                op                  x shape (after N)  dtype                attributes
CASES = [
    ("max_ceil_dilated",    "MaxPool",          [3, 9, 8],   TensorProto.FLOAT, {"kernel_shape": [3, 2], "strides": [2, 2],
                                                                                 "dilations": [2, 1], "ceil_mode": 1,
                                                                                 "pads": [1, 0, 0, 1]}),
    ("max_same_1d",         "MaxPool",          [2, 10],     TensorProto.FLOAT, {"kernel_shape": [3], "strides": [2],
                                                                                 "auto_pad": "SAME_UPPER"}),
    ("max_int8",            "MaxPool",          [2, 5, 5],   TensorProto.INT8,  {"kernel_shape": [2, 2], "pads": [1, 1, 1, 1]}),
    ("average_excluding",   "AveragePool",      [3, 7, 6],   TensorProto.FLOAT, {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                                                                 "strides": [2, 2], "ceil_mode": 1}),
    ("average_including",   "AveragePool",      [3, 7, 6],   TensorProto.FLOAT, {"kernel_shape": [3, 3], "pads": [1, 2, 1, 0],
                                                                                 "count_include_pad": 1}),
    ("average_3d",          "AveragePool",      [2, 4, 4, 5], TensorProto.FLOAT, {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]}),
    ("lp_3",                "LpPool",           [2, 6, 6],   TensorProto.FLOAT, {"kernel_shape": [2, 3], "p": 3, "strides": [2, 1]}),
    ("lp_2",                "LpPool",           [2, 6, 6],   TensorProto.FLOAT, {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    ("global_average",      "GlobalAveragePool", [4, 3, 5],  TensorProto.FLOAT, {}),
    ("global_max",          "GlobalMaxPool",    [4, 3, 5],   TensorProto.FLOAT, {}),
    ("global_lp",           "GlobalLpPool",     [4, 6],      TensorProto.FLOAT, {"p": 3}),
]
NUMPY = {TensorProto.FLOAT: np.float32, TensorProto.INT8: np.int8}


def _model(op, x_shape, dtype, attrs, outputs=("y",)):
    node = helper.make_node(op, ["x"], list(outputs), **attrs)
    graph = helper.make_graph([node], "pool", [helper.make_tensor_value_info("x", dtype, ["N", *x_shape])],
                              [helper.make_tensor_value_info(o, dtype if o == "y" else TensorProto.INT64, ["N"] + [None] * len(x_shape))
                               for o in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


@pytest.fixture(scope="module")
def compiled():
    models = [_model(op, x, dtype, attrs) for _, op, x, dtype, attrs in CASES]
    return list(zip(models, compile_many(models, "cpu_serial", names=[c[0] for c in CASES])))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_pool_matches_onnxruntime(compiled, index):
    model, session = compiled[index]
    _, _, shape, dtype, _ = CASES[index]
    reference = ort.InferenceSession(model.SerializeToString()) if CASES[index][1] != "GlobalLpPool" else None
    for n in (1, 7):
        x = (RNG.standard_normal([n, *shape]) * 40).astype(NUMPY[dtype])
        if reference is None:       # neither onnxruntime nor onnx's reference evaluator has GlobalLpPool-22
            want = (np.abs(x) ** 3).sum(axis=2, keepdims=True) ** (1 / 3)
        else:
            want = reference.run(None, {"x": x})[0]
        got = session.infer(x, ss.Queue("cpu_serial"))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("storage_order", [0, 1])
def test_max_pool_indices_match_onnxruntime(storage_order):
    model = _model("MaxPool", [3, 5, 4], TensorProto.FLOAT, {"kernel_shape": [2, 2], "pads": [1, 0, 0, 1],
                                                             "strides": [2, 1], "storage_order": storage_order},
                   outputs=("y", "indices"))
    session, reference = ss.compile(model, "cpu_serial"), ort.InferenceSession(model.SerializeToString())
    for n in (1, 4):
        x = RNG.standard_normal([n, 3, 5, 4]).astype(np.float32)
        want = dict(zip(["y", "indices"], reference.run(None, {"x": x})))
        got = session.infer(x, ss.Queue("cpu_serial"))
        np.testing.assert_array_equal(got["indices"], want["indices"])
        np.testing.assert_array_equal(got["y"], want["y"])


def test_max_unpool_of_max_pool_matches_onnxruntime():
    nodes = [helper.make_node("MaxPool", ["x"], ["y", "indices"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("MaxUnpool", ["y", "indices", "shape"], ["z"], kernel_shape=[2, 2], strides=[2, 2])]
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, 2, 7, 6])       # N = 1: a fixed shape
    graph = helper.make_graph(nodes, "unpool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2, 7, 6])], [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    x = RNG.standard_normal([1, 2, 6, 6]).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_array_equal(ss.compile(model, "cpu_serial").infer(x, ss.Queue("cpu_serial")), want)
