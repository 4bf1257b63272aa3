"""Data-moving shape operators end to end: Concat of a graph input with intermediates, Unsqueeze, Transpose
(with a non-trivial permutation of trailing axes), Flatten, and Softmax over a middle axis, against
onnxruntime on SoA features read in place."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from conftest import BACKENDS, FEATURES, gathered, tracks


def shape_model() -> bytes:
    """x [N, 4] -> concat(x, relu(x), neg(x)) [N, 12] -> reshape [N, 3, 4] -> transpose (0, 2, 1) [N, 4, 3]
    -> softmax(axis 1) -> flatten [N, 12] -> Gemm -> y [N, 3]."""
    w = numpy_helper.from_array(np.random.default_rng(0).normal(size=(3, 12)).astype(np.float32), "w")
    shape = numpy_helper.from_array(np.array([-1, 3, 4], np.int64), "shape")
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["x"], ["m"]),
             helper.make_node("Concat", ["x", "r", "m"], ["c"], axis=1),
             helper.make_node("Reshape", ["c", "shape"], ["c3"]),
             helper.make_node("Transpose", ["c3"], ["t"], perm=[0, 2, 1]),
             helper.make_node("Softmax", ["t"], ["s"], axis=1),
             helper.make_node("Flatten", ["s"], ["f"], axis=1),
             helper.make_node("Gemm", ["f", "w"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "shape_ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [w, shape])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concat_transpose_softmax_match_onnxruntime(queues, backend):
    model_bytes = shape_model()
    model = ss.compile(model_bytes, backend, name="shape_ops")
    reference = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    for n in [0, 1, 7, 1000]:
        soa = tracks(n, seed=n)
        model.infer(soa.tensor(FEATURES), queues[backend], out=soa.tensor(["probs"]))
        np.testing.assert_allclose(soa["probs"][:, :, 0], reference.run(None, {"x": gathered(soa)})[0],
                                   rtol=1e-4, atol=1e-5)
