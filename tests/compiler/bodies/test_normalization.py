"""Operators expanded from the bodies of compiler/bodies/normalization.py (InstanceNormalization, LpNormalization,
LRN), on a dynamic element count, against onnxruntime; a zero norm gives 0 as the ONNX reference does."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many


def _model(node, x_shape, y_shape, initializers=()):
    graph = helper.make_graph([node], "body", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


def test_instance_and_lp_normalization_match_onnxruntime():
    rng = np.random.default_rng(5)
    scale = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "scale")
    bias = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "B")
    models = [_model(helper.make_node("InstanceNormalization", ["x", "scale", "B"], ["y"], epsilon=1e-3),
                     ["N", 3, 4, 5], ["N", 3, 4, 5], [scale, bias]),
              _model(helper.make_node("LpNormalization", ["x"], ["y"], p=1, axis=1), ["N", 6], ["N", 6]),
              _model(helper.make_node("LpNormalization", ["x"], ["y"], p=2, axis=0), ["N", 6], ["N", 6]),
              _model(helper.make_node("LRN", ["x"], ["y"], size=3, alpha=0.02, beta=0.6, bias=2.0),
                     ["N", 3, 4, 5], ["N", 3, 4, 5]),
              _model(helper.make_node("LRN", ["x"], ["y"], size=5), ["N", 6, 2, 3], ["N", 6, 2, 3])]
    queue = ss.Queue("cpu_serial")
    for model, compiled in zip(models, compile_many(models, "cpu_serial")):
        shape = [7] + [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        x = rng.standard_normal(shape).astype(np.float32)
        x[0] = 0.0                                          # a zero row: LpNormalization along axis 1 gives 0
        want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
        got = compiled.infer(x, queue)
        np.testing.assert_allclose(got, np.nan_to_num(want), rtol=1e-5, atol=1e-6)
