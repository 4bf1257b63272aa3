"""Code generation: lowering of the optimised IR to kernel launches (lowering.py), passes over the lowered plan
in the order PLAN_PASSES declares, and the C++ session header that wires the hand-written kernels together
(emitter.py)."""

from sofie_soa.codegen.dense_chains import fuse_dense_chains
from sofie_soa.codegen.memory_planner import plan_memory

PLAN_PASSES = [fuse_dense_chains, plan_memory]
