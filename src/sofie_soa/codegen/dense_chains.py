"""Dense-chain fusion, a pass over the lowered Plan: consecutive dense launches where each intermediate is read
only by the next become one launch of the chained DenseKernel (cpp/include/sofie_soa/kernels/dense.hpp), so that
an MLP's hidden activations never leave the thread that computes them — no workspace, one launch.

Fused when: the intermediate lives in the workspace (not a graph output), no other launch reads it, both launches
cover the same rows and lay it out alike (row-major, or channels first over as many sites: channels_first.py), its width is at most DenseKernel::kMaxWidth, and the chain stays within kMaxLayers.
"""

from __future__ import annotations

from sofie_soa.codegen.lowering import Plan, reads

MAX_WIDTH = 1024     # kernels::DenseKernel::kMaxWidth
MAX_LAYERS = 8       # kernels::DenseChain::kMaxLayers


def _readers(plan: Plan) -> dict:
    """id(Storage) -> how many launch arguments read it."""
    count: dict = {}
    for launch in plan.launches:
        for ref in reads(launch):
            count[id(ref.storage)] = count.get(id(ref.storage), 0) + 1
    return count


def fuse_dense_chains(plan: Plan) -> Plan:
    readers = _readers(plan)
    fused = []
    for launch in plan.launches:
        prev = fused[-1] if fused else None
        if (prev is not None and prev.kernel == launch.kernel == "dense"
                and prev.args["y"].storage is launch.args["x"].storage
                and prev.args["y"].storage.kind == "workspace"
                and readers.get(id(prev.args["y"].storage)) == 1
                and prev.args["rows"] == launch.args["rows"]
                and prev.args.get("y_sites") == launch.args.get("x_sites")
                and prev.args["layers"][-1].n <= MAX_WIDTH
                and len(prev.args["layers"]) + len(launch.args["layers"]) <= MAX_LAYERS):
            dead = prev.args["y"].storage
            prev.args["layers"] = prev.args["layers"] + launch.args["layers"]
            prev.args["y"] = launch.args["y"]
            prev.args.pop("y_sites", None)
            if "y_sites" in launch.args:
                prev.args["y_sites"] = launch.args["y_sites"]
            plan.buffers = [b for b in plan.buffers if b is not dead]
            plan.tensors = {name: ref for name, ref in plan.tensors.items() if ref.storage is not dead}
            continue
        fused.append(launch)
    plan.launches = fused
    return plan
