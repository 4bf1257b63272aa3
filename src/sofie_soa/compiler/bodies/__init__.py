"""Function bodies written here, in ONNX operators, for operators whose schemas give none (functions.py expands
them like the schemas' own bodies). Each builder takes the node and its inputs (ops.Tensor: dtype, shape, and the
value where known at compile time; None where absent) and returns a FunctionProto at
opset 18 (common.OPSET) with the node's attributes already applied, or None where the body does not apply (the
operator is then refused as unsupported); a ModelError where the node itself is invalid.

  normalization.py  InstanceNormalization, LpNormalization, LRN
  conv.py           Conv (im2col: a Gather of constant window indices, then a GEMM), ConvTranspose (a GEMM,
                    then col2im by a Gather and a ReduceSum)
  pool.py           MaxPool (and its Indices), AveragePool, LpPool, their Global forms, MaxUnpool
  resize.py         Resize, Upsample (a constant interpolation map from onnx's reference evaluator)
  recurrent.py      LSTM, GRU, RNN (the time loop unrolled; the input projection one MatMul)
  windows.py        the sliding-window geometry they share (ONNX Conv-22 / MaxPool-22 rules)
"""

from sofie_soa.compiler.bodies.conv import conv, conv_transpose
from sofie_soa.compiler.bodies.normalization import instance_normalization, lp_normalization, lrn
from sofie_soa.compiler.bodies.pool import (average_pool, global_average_pool, global_lp_pool, global_max_pool,
                                            lp_pool, max_pool, max_unpool)
from sofie_soa.compiler.bodies.recurrent import recurrent
from sofie_soa.compiler.bodies.resize import resize

BODIES = {
    "InstanceNormalization": instance_normalization, "LpNormalization": lp_normalization, "LRN": lrn,
    "Conv": conv, "ConvTranspose": conv_transpose,
    "Resize": resize, "Upsample": resize,
    "LSTM": recurrent, "GRU": recurrent, "RNN": recurrent,
    "MaxPool": max_pool, "AveragePool": average_pool, "LpPool": lp_pool, "MaxUnpool": max_unpool,
    "GlobalAveragePool": global_average_pool, "GlobalMaxPool": global_max_pool, "GlobalLpPool": global_lp_pool,
}
