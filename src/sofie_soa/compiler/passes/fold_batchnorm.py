"""BatchNormalization (inference) right after a Gemm with constant weights is folded into the Gemm:
y = (W x + b - mean) * s + B with s = scale / sqrt(var + eps) becomes (s W) x + (b - mean) s + B.
A BatchNormalization that cannot be folded is lowered to Mul and Add by per-channel constants."""

import numpy as np

from sofie_soa.compiler.ir import Graph, Node


def _scale_shift(bn: Node, graph: Graph):
    scale, bias, mean, var = (graph.constants[i].astype(np.float64) for i in bn.inputs[1:5])
    s = scale / np.sqrt(var + bn.attrs.get("epsilon", 1e-5))
    return s, bias - mean * s


def _foldable(gemm: Node, graph: Graph) -> bool:
    return (gemm is not None and gemm.op_type == "Gemm" and gemm.inputs[1] in graph.constants
            and (len(gemm.inputs) < 3 or not gemm.inputs[2] or gemm.inputs[2] in graph.constants)
            and len(graph.consumers(gemm.outputs[0])) == 1 and gemm.outputs[0] not in graph.outputs
            and "activation" not in gemm.attrs)


def run(graph: Graph) -> None:
    for bn in [n for n in graph.nodes if n.op_type == "BatchNormalization"]:
        if not all(i in graph.constants for i in bn.inputs[1:5]):
            continue
        s, shift = _scale_shift(bn, graph)
        gemm = graph.producer(bn.inputs[0])
        out = bn.outputs[0]
        if _foldable(gemm, graph):
            a = gemm.attrs
            w = graph.constants[gemm.inputs[1]].astype(np.float64)
            w = (w.T if a.get("transB", 0) else w) * a.get("alpha", 1.0)          # [K, N]
            c = graph.constants[gemm.inputs[2]] if len(gemm.inputs) > 2 and gemm.inputs[2] else np.zeros(1)
            b = np.broadcast_to(c.astype(np.float64) * a.get("beta", 1.0), (w.shape[1],))
            graph.constants[out + "/folded_weight"] = (w * s).astype(np.float32)
            graph.constants[out + "/folded_bias"] = (b * s + shift).astype(np.float32)
            folded = Node("Gemm", [gemm.inputs[0], out + "/folded_weight", out + "/folded_bias"], [out],
                          {"transA": a.get("transA", 0)}, gemm.name)
            graph.nodes[graph.nodes.index(gemm)] = folded
            graph.nodes.remove(bn)
            continue
        # Per-channel constants on axis 1, broadcastable to [N, C, d1, ...].
        trailing = (1,) * max(0, len(graph.shapes.get(bn.inputs[0], (0, 0))) - 2)
        graph.constants[out + "/bn_scale"] = s.astype(np.float32).reshape((-1,) + trailing)
        graph.constants[out + "/bn_shift"] = shift.astype(np.float32).reshape((-1,) + trailing)
        i = graph.nodes.index(bn)
        graph.nodes[i:i + 1] = [Node("Mul", [bn.inputs[0], out + "/bn_scale"], [out + "/bn_scaled"], {}, bn.name),
                                Node("Add", [out + "/bn_scaled", out + "/bn_shift"], [out], {}, bn.name)]
