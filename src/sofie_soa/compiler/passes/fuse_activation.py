"""Dense followed by an element-wise activation becomes one Dense with that activation as its epilogue
(attribute "activation": (op_type, attributes)), saving one pass over the intermediate tensor."""

from sofie_soa.compiler.ir import Graph
from sofie_soa.compiler.ops.dense import EPILOGUES


def run(graph: Graph) -> None:
    for dense in [n for n in graph.nodes if n.op_type == "Dense"]:
        users = graph.consumers(dense.outputs[0])
        if len(users) != 1 or dense.outputs[0] in graph.outputs or "activation" in dense.attrs:
            continue
        act = users[0]
        if act.op_type not in EPILOGUES or act.inputs[0] != dense.outputs[0] or \
                graph.types[act.outputs[0]] != graph.types[dense.outputs[0]]:
            continue
        attrs = dict(act.attrs)
        if act.op_type == "Clip":  # opset >= 11: min/max are inputs, which must be known
            bounds = [i for i in act.inputs[1:3]]
            if any(i and i not in graph.constants for i in bounds):
                continue
            for key, name in zip(("min", "max"), bounds):
                if name:
                    attrs[key] = float(graph.constants[name].reshape(-1)[0])
        dense.attrs["activation"] = (act.op_type, attrs)
        dense.outputs = act.outputs
        graph.nodes.remove(act)
