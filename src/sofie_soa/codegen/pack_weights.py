"""Weight packing, a pass over the CPU plan: every dense layer also gets its weights laid out as the CPU tiles read
them, one contiguous K x B panel per block of B outputs (kernels::DenseKernel::pack, run once when a session is
built). Reading W [K, N] row-major, a block loads B floats every N; from the panel, consecutive floats. In
benchmarks/run.py, wide_mlp (512-wide layers) went from 133 to 160-166 GFLOP/s; the narrower models are unchanged
within run-to-run noise.

The packed copies follow the weight bytes: plan.packed lists (weight offset, K, N, packed offset) in bytes, and
plan.packed_bytes is their total. A weight shared by several layers is packed once.
"""

from __future__ import annotations

from sofie_soa.codegen.lowering import WEIGHT_ALIGNMENT, Plan, Ref, Storage


def pack_weights(plan: Plan) -> Plan:
    packed: dict[int, int] = {}     # weight offset -> packed offset (bytes)
    end = -(-plan.weight_bytes // WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT
    for launch in plan.launches:
        for layer in launch.args["layers"] if launch.kernel == "dense" else ():
            source = layer.weight.storage.offset[1]
            if source not in packed:
                packed[source] = end + plan.packed_bytes
                plan.packed.append((source, layer.k, layer.n, packed[source]))
                plan.packed_bytes += -(-layer.k * layer.n * 4 // WEIGHT_ALIGNMENT) * WEIGHT_ALIGNMENT
            layer.packed = Ref(Storage("weights", offset=(0, packed[source])), "float32", (layer.k, layer.n))
    if plan.packed_bytes:
        plan.packed_bytes += end - plan.weight_bytes      # the padding before the first packed copy
    return plan
