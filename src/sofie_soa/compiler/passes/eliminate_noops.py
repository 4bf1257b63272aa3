"""Removes operators that do nothing at inference: Identity and Dropout (inference mode). A node whose output
is a graph output is kept when its input is a graph input, output or constant (the output must still be
written). Reshape, Flatten, Squeeze, Unsqueeze and float Casts need no pass: lowering aliases their input's
storage, so they cost nothing unless data must move into a graph output."""

from sofie_soa.compiler.ir import Graph

_ALWAYS = {"Identity", "Dropout"}


def _is_noop(node, graph: Graph) -> bool:
    return node.op_type in _ALWAYS and not any(graph.consumers(o) or o in graph.outputs for o in node.outputs[1:])


def run(graph: Graph) -> None:
    for node in list(graph.nodes):
        if not _is_noop(node, graph):
            continue
        src, dst = node.inputs[0], node.outputs[0]
        if dst in graph.outputs and (src in graph.inputs or src in graph.outputs or src in graph.constants):
            continue  # the output buffer still has to be written: keep it as a copy
        graph.nodes.remove(node)
        graph.replace_uses(dst, src)
