"""MatMul(X, W) followed by Add(·, b), with W a 2-D constant and b a constant broadcastable to the output
rows, becomes one Gemm(X, W, b): the bias is added in the dense kernel instead of a second pass over memory."""

from sofie_soa.compiler.ir import Graph, Node


def run(graph: Graph) -> None:
    for matmul in [n for n in graph.nodes if n.op_type == "MatMul"]:
        weight = graph.constants.get(matmul.inputs[1])
        users = graph.consumers(matmul.outputs[0])
        if weight is None or weight.ndim != 2 or len(users) != 1 or matmul.outputs[0] in graph.outputs:
            continue
        add = users[0]
        if add.op_type != "Add":
            continue
        bias_name = add.inputs[1] if add.inputs[0] == matmul.outputs[0] else add.inputs[0]
        bias = graph.constants.get(bias_name)
        if bias is None or bias.size not in (1, weight.shape[1]) or bias.ndim > 2 or \
                (bias.ndim == 2 and bias.shape[0] != 1):
            continue
        gemm = Node("Gemm", [matmul.inputs[0], matmul.inputs[1], bias_name], add.outputs, {}, add.name or matmul.name)
        graph.nodes[graph.nodes.index(add)] = gemm
        graph.nodes.remove(matmul)
