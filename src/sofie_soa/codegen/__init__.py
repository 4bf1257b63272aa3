"""Code generation: lowering of the optimised IR to kernel launches (lowering.py), passes over the lowered plan
in the order PLAN_PASSES declares for each target (CPU and GPU plans differ in how large layers run), and the C++
session header that wires the hand-written kernels together (emitter.py)."""

from sofie_soa.codegen.blas_layers import split_blas_layers
from sofie_soa.codegen.channels_first import fuse_conv_transposes
from sofie_soa.codegen.dense_chains import fuse_dense_chains
from sofie_soa.codegen.memory_planner import plan_memory
from sofie_soa.codegen.pack_weights import pack_weights
from sofie_soa.codegen.residual_epilogues import fuse_residual_adds

PLAN_PASSES = {
    "cpu": [fuse_conv_transposes, fuse_dense_chains, fuse_residual_adds, pack_weights, plan_memory],
    "gpu": [split_blas_layers, fuse_conv_transposes, fuse_dense_chains, fuse_residual_adds, plan_memory],
}
