"""Constant folding: a node whose inputs are all constants is evaluated once, at compile time, with the onnx
package's reference evaluator, and its outputs become constants (Constant nodes included)."""

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

from sofie_soa.compiler.ir import Graph, Node


def _evaluate(node: Node, graph: Graph) -> list:
    inputs = [i for i in node.inputs if i]
    proto = onnx.helper.make_node(node.op_type, node.inputs, node.outputs, **node.attrs)
    model = onnx.helper.make_model(
        onnx.helper.make_graph([proto], "fold",
                               [onnx.helper.make_tensor_value_info(i, onnx.helper.np_dtype_to_tensor_dtype(
                                   graph.constants[i].dtype), graph.constants[i].shape) for i in inputs],
                               [onnx.helper.make_empty_tensor_value_info(o) for o in node.outputs]),
        opset_imports=[onnx.helper.make_opsetid("", graph.opset)])
    return ReferenceEvaluator(model).run(None, {i: graph.constants[i] for i in inputs})


def run(graph: Graph) -> None:
    kept = []
    for node in graph.nodes:
        if all(not i or i in graph.constants for i in node.inputs) and node.op_type not in ("Dropout",):
            for name, value in zip(node.outputs, _evaluate(node, graph)):
                graph.constants[name] = np.asarray(value)
        else:
            kept.append(node)
    graph.nodes = kept
