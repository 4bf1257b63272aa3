"""Small ONNX models shared by the runtime tests and the sanitizer job (tests/test_sanitizers.py), which
imports them in a sanitized child process: numpy and onnx only."""

import numpy as np
from onnx import TensorProto, helper, numpy_helper


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


def _model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


F, I64 = TensorProto.FLOAT, TensorProto.INT64
W = np.random.default_rng(0).normal(size=(2, 13)).astype(np.float32)
MODELS = {
    # x[N, 26] -> Reshape [0, 13, 2] -> MatMul [2, 13] -> y[N, 13, 13] (wrote past the output, finding 2)
    "matmul3d": _model([helper.make_node("Reshape", ["x", "s"], ["r"]), helper.make_node("MatMul", ["r", "w"], ["y"])],
                       [("x", F, ["N", 26])], [("y", F, ["N", 13, 13])],
                       [numpy_helper.from_array(np.array([0, 13, 2], np.int64), "s"), numpy_helper.from_array(W, "w")]),
    "identity": _model([helper.make_node("Identity", ["x"], ["y"])], [("x", F, ["N", 4])], [("y", F, ["N", 4])]),
    "int64": _model([helper.make_node("Mul", ["x", "two"], ["m"]), helper.make_node("Add", ["m", "one"], ["y"])],
                    [("x", I64, ["N", 1])], [("y", I64, ["N", 1])],
                    [numpy_helper.from_array(np.array([2], np.int64), "two"),
                     numpy_helper.from_array(np.array([1], np.int64), "one")]),
    "two_outputs": _model([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"])],
                          [("x", F, ["N", 4])], [("a", F, ["N", 4]), ("b", F, ["N", 4])]),
}
