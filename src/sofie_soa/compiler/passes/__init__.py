"""Graph passes, one per module, each a function ``run(graph) -> None`` that rewrites the graph in place.

The order is data: PIPELINE below. Dead code goes first, so that nothing dead is folded; type inference and
compile-time evaluation (infer) give every tensor its type and fold shapes, constants and control flow; the
dense-layer passes then fuse what the register-blocked dense kernel can do in one launch.
"""

from sofie_soa.compiler.passes import (dead_code, dense_bias, dense_layers, eliminate_noops, fold_batchnorm,
                                       fuse_activation, infer)

PIPELINE = [
    dead_code,
    infer,
    dead_code,
    eliminate_noops,
    dense_layers,
    dense_bias,
    fold_batchnorm,
    fuse_activation,
    dead_code,
]


def optimize(graph, pipeline=PIPELINE):
    """Runs each pass of `pipeline` in order on `graph` (in place) and returns it."""
    for p in pipeline:
        p.run(graph)
    return graph
