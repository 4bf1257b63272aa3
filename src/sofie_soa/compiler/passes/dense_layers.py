"""Gemm and MatMul whose weight is a constant float32 matrix (and whose bias, for Gemm, is a constant over rows)
become the internal Dense node: X [..., K] · W [K, N] + b [N] with alpha, beta and transB folded into W and b,
which the later passes extend (bias, BatchNormalization, activation) and the DenseKernel runs."""

import numpy as np

from sofie_soa.compiler.ir import Graph, Node
from sofie_soa.compiler.ops.dense import dense_applies, row_bias
from sofie_soa.compiler.ops import Tensor


def _dense_of(node: Node, graph: Graph):
    """(weight [K, N], bias [N] or None) when `node` is a dense layer, else None."""
    a = node.attrs
    x = graph.types[node.inputs[0]]
    weight = graph.constants.get(node.inputs[1])
    if not dense_applies(Tensor(node.inputs[0], x.dtype, x.shape), weight):
        return None
    if node.op_type == "MatMul":
        return (weight, None) if x.rank >= 1 else None
    if a.get("transA", 0) or x.rank != 2:
        return None
    w = (weight.astype(np.float64).T if a.get("transB", 0) else weight.astype(np.float64)) * a.get("alpha", 1.0)
    if len(node.inputs) < 3 or not node.inputs[2]:
        return w.astype(np.float32), None
    c = graph.constants.get(node.inputs[2])
    bias = row_bias(Tensor(node.inputs[2], "float32", () if c is None else c.shape, c), w.shape[1])
    return None if bias is None else (w.astype(np.float32), (bias * a.get("beta", 1.0)).astype(np.float32))


def run(graph: Graph) -> None:
    for i, node in enumerate(graph.nodes):
        if node.op_type not in ("Gemm", "MatMul"):
            continue
        layer = _dense_of(node, graph)
        if layer is None:
            continue
        weight, bias = layer
        inputs = [node.inputs[0], graph.add_constant(f"{node.outputs[0]}/weight", weight)]
        if bias is not None:
            inputs.append(graph.add_constant(f"{node.outputs[0]}/bias", bias))
        graph.nodes[i] = Node("Dense", inputs, node.outputs, {}, node.name, node.opset)
