"""Dense without bias followed by Add of a constant over rows becomes one Dense with that bias: the bias is added
in the dense kernel instead of a second pass over memory (MatMul + Add, as exporters write Linear)."""

from sofie_soa.compiler.ir import Graph
from sofie_soa.compiler.ops import Tensor
from sofie_soa.compiler.ops.dense import row_bias


def run(graph: Graph) -> None:
    for dense in [n for n in graph.nodes if n.op_type == "Dense" and len(n.inputs) == 2]:
        users = graph.consumers(dense.outputs[0])
        if len(users) != 1 or dense.outputs[0] in graph.outputs or users[0].op_type != "Add":
            continue
        add = users[0]
        other = add.inputs[1] if add.inputs[0] == dense.outputs[0] else add.inputs[0]
        value = graph.constants.get(other)
        n = graph.constants[dense.inputs[1]].shape[1]
        bias = None if value is None else row_bias(Tensor(other, value.dtype.name, value.shape, value), n)
        if bias is None or graph.types[add.outputs[0]] != graph.types[dense.outputs[0]]:
            continue
        dense.inputs.append(graph.add_constant(f"{add.outputs[0]}/bias", bias.astype("float32")))
        dense.outputs = add.outputs
        graph.nodes.remove(add)
