"""Optimization passes, one per module, each a function ``run(graph) -> None`` that rewrites the graph in place.

The order is data: PIPELINE below. Constant folding comes first so that later passes see constants; fusions
come last so that they see the simplified graph.
"""

from sofie_soa.compiler.passes import (constant_folding, eliminate_noops, fold_batchnorm, fuse_activation,
                                       matmul_add_to_gemm)

PIPELINE = [
    constant_folding,
    eliminate_noops,
    matmul_add_to_gemm,
    fold_batchnorm,
    fuse_activation,
]


def optimize(graph, pipeline=PIPELINE):
    """Runs each pass of `pipeline` in order on `graph` (in place) and returns it."""
    for p in pipeline:
        p.run(graph)
    return graph
