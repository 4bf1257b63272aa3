"""BatchNormalization (inference, constant statistics) right after a 2-D Dense is folded into its weights:
y = (W x + b - mean) * s + B with s = scale / sqrt(var + eps) becomes (s W) x + (b - mean) s + B. Any other
BatchNormalization runs as one multiply-add per element (ops/normalization.py)."""

import numpy as np

from sofie_soa.compiler.ir import Graph


def run(graph: Graph) -> None:
    for bn in [n for n in graph.nodes if n.op_type == "BatchNormalization"]:
        if len(bn.outputs) > 1 and any(bn.outputs[1:]) or not all(i in graph.constants for i in bn.inputs[1:5]):
            continue
        dense = graph.producer(bn.inputs[0])
        if (dense is None or dense.op_type != "Dense" or dense.attrs.get("activation")
                or graph.types[bn.inputs[0]].rank != 2 or len(graph.consumers(dense.outputs[0])) != 1
                or dense.outputs[0] in graph.outputs):
            continue
        scale, shift, mean, var = (graph.constants[i].astype(np.float64) for i in bn.inputs[1:5])
        s = scale / np.sqrt(var + bn.attrs.get("epsilon", 1e-5))
        w = graph.constants[dense.inputs[1]].astype(np.float64)
        b = graph.constants[dense.inputs[2]].astype(np.float64) if len(dense.inputs) > 2 else np.zeros(w.shape[1])
        dense.inputs = [dense.inputs[0], graph.add_constant(f"{bn.outputs[0]}/folded_weight", (w * s).astype(np.float32)),
                        graph.add_constant(f"{bn.outputs[0]}/folded_bias", ((b - mean) * s + shift).astype(np.float32))]
        dense.outputs = [bn.outputs[0]]
        graph.nodes.remove(bn)
