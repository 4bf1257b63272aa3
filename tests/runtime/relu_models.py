"""Tiny ONNX models for the first-use tests: one Relu over an input of a given shape (ints, or strings for
named dynamic dimensions)."""

from onnx import TensorProto, helper


def relu_model(shape) -> bytes:
    """y = Relu(x), float32, x and y of `shape` (e.g. [1, 4] for a fixed batch, ["N", 4] for a dynamic one)."""
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
