"""Resize from compiler/bodies/resize.py against onnxruntime on a dynamic element count: linear, cubic (sizes on
the axes it names) and nearest maps over trailing axes (the leading ones a batch), a uint8 nearest map (a Gather), a map that
also changes the channel axis; scales that are only known at run time and maps too large to hold are refused."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

RNG = np.random.default_rng(14)

#      name              x shape (after N)  dtype              scales or sizes (after N)       attributes
CASES = [
    ("linear",          [3, 4, 5],   TensorProto.FLOAT, ("scales", [1, 2.0, 1.5]),   {"mode": "linear"}),
    ("cubic_aligned",   [2, 5, 4],   TensorProto.FLOAT, ("sizes", [3, 7]),           {"mode": "cubic",
                                                         "coordinate_transformation_mode": "align_corners",
                                                         "axes": [2, 3]}),
    ("nearest_uint8",   [2, 3, 3],   TensorProto.UINT8, ("scales", [1, 2.0, 2.0]),   {"mode": "nearest"}),
    ("channels_too",    [2, 3, 3],   TensorProto.FLOAT, ("scales", [1.5, 1.0, 2.0]), {"mode": "linear"}),
    ("downsample_aa",   [1, 8, 6],   TensorProto.FLOAT, ("scales", [1, 0.5, 0.5]),   {"mode": "linear",
                                                                                      "antialias": 1}),
]
NUMPY = {TensorProto.FLOAT: np.float32, TensorProto.UINT8: np.uint8}


def _model(x_shape, dtype, target, attrs, constant=True):
    role, values = target
    value = np.asarray(values if "axes" in attrs else [1] + values, np.float32 if role == "scales" else np.int64)
    tensor = numpy_helper.from_array(value, role)
    names = ["x", "", role] if role == "scales" else ["x", "", "", role]
    inputs = [helper.make_tensor_value_info("x", dtype, ["N", *x_shape])]
    if not constant:
        inputs.append(helper.make_tensor_value_info(role, TensorProto.FLOAT, [len(value)]))
    node = helper.make_node("Resize", names, ["y"], **attrs)
    graph = helper.make_graph([node], "resize", inputs,
                              [helper.make_tensor_value_info("y", dtype, ["N"] + [None] * len(x_shape))],
                              [tensor] if constant else [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])


@pytest.fixture(scope="module")
def compiled():
    models = [_model(*c[1:]) for c in CASES]
    return list(zip(models, compile_many(models, "cpu_serial", names=[c[0] for c in CASES])))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_resize_matches_onnxruntime(compiled, index):
    model, session = compiled[index]
    _, shape, dtype, _, _ = CASES[index]
    # onnxruntime's linear Resize of 4-D inputs leaves the channels alone: onnx's reference evaluator stands in
    reference = (ReferenceEvaluator(model) if CASES[index][0] == "channels_too"
                 else ort.InferenceSession(model.SerializeToString()))
    for n in (1, 6):
        x = (RNG.random([n, *shape]) * 200).astype(NUMPY[dtype])
        want = reference.run(None, {"x": x})[0]
        got = session.infer(x, ss.Queue("cpu_serial"))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


def test_run_time_scales_and_oversized_maps_are_refused():
    with pytest.raises(ss.ModelError, match=r"Resize's scales \('scales'\) must be known at compile time"):
        ss.compile(_model([3, 4, 5], TensorProto.FLOAT, ("scales", [1, 2.0, 2.0]), {}, constant=False), "cpu_serial")
    with pytest.raises(ss.ModelError, match="would need an interpolation map of 1073741824 entries"):
        ss.compile(_model([1, 128, 128], TensorProto.FLOAT, ("scales", [1, 2.0, 2.0]), {"mode": "linear"}),
                   "cpu_serial")
