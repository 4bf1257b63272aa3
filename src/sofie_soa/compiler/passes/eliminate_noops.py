"""Removes operators that do nothing at inference: Identity and Dropout (without a used mask output). Where the
removed node wrote a graph output, the producer of its input writes that output instead, so graph outputs keep
their names; where its input is a graph input, output or constant, the node stays as the copy the output needs.
Reshape, Flatten, Squeeze, Unsqueeze and same-type Casts need no pass: lowering aliases their input's storage."""

from sofie_soa.compiler.ir import Graph

_ALWAYS = {"Identity", "Dropout"}


def _is_noop(node, graph: Graph) -> bool:
    return node.op_type in _ALWAYS and not any(o and (graph.consumers(o) or o in graph.outputs)
                                               for o in node.outputs[1:])


def run(graph: Graph) -> None:
    for node in list(graph.nodes):
        if not _is_noop(node, graph):
            continue
        src, dst = node.inputs[0], node.outputs[0]
        if dst not in graph.outputs:
            graph.nodes.remove(node)
            graph.replace_uses(dst, src)
            continue
        producer = graph.producer(src)
        if producer is None or src in graph.outputs:
            continue  # a graph input, constant or another output: the copy stays
        graph.nodes.remove(node)
        producer.outputs = [dst if o == src else o for o in producer.outputs]
        for user in graph.consumers(src):
            user.inputs = [dst if i == src else i for i in user.inputs]
