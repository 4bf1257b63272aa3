"""Removes nodes none of whose outputs reach a graph output, so that dead nodes are neither folded nor compiled
(a dead ConstantOfShape([30000, 30000]) costs nothing). Runs before type inference and again after fusion."""

from sofie_soa.compiler.ir import Graph


def _used_by_subgraphs(node) -> set:
    """Outer-scope names an If branch reads."""
    names = set()
    for value in node.attrs.values():
        for sub in value if isinstance(value, list) else [value]:
            if hasattr(sub, "nodes"):
                for inner in sub.nodes:
                    names.update(inner.inputs)
                    names.update(_used_by_subgraphs(inner))
                names.update(sub.outputs)
    return names


def run(graph: Graph) -> None:
    live = set(graph.outputs)
    kept = []
    for node in reversed(graph.nodes):
        if any(o and o in live for o in node.outputs):
            kept.append(node)
            live.update(i for i in node.inputs if i)
            live.update(_used_by_subgraphs(node))
    graph.nodes = kept[::-1]
