"""Gemm followed by an element-wise activation becomes one Gemm with that activation as its epilogue
(attribute "activation": (op_type, attributes)), saving one pass over the intermediate tensor."""

from sofie_soa.compiler.ir import Graph

FUSABLE = {"Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Clip"}


def run(graph: Graph) -> None:
    for gemm in [n for n in graph.nodes if n.op_type == "Gemm"]:
        users = graph.consumers(gemm.outputs[0])
        if len(users) != 1 or gemm.outputs[0] in graph.outputs or "activation" in gemm.attrs:
            continue
        act = users[0]
        if act.op_type not in FUSABLE or (act.op_type == "Clip" and any(
                i and i not in graph.constants for i in act.inputs[1:])):
            continue
        attrs = dict(act.attrs)
        if act.op_type == "Clip":  # opset >= 11: min/max are inputs
            for key, name in zip(("min", "max"), act.inputs[1:3]):
                if name:
                    attrs[key] = float(graph.constants[name])
        gemm.attrs["activation"] = (act.op_type, attrs)
        gemm.outputs = act.outputs
        graph.nodes.remove(act)
