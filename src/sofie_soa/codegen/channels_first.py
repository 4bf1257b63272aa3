"""Channels-first dense operands, a pass over the lowered Plan: a 1 x 1 convolution lowers (compiler/bodies/conv.py)
to Transpose X [B, C, S] -> [B, S, C], a dense launch over the B·S rows, and Transpose [B, S, M] -> Y [B, M, S];
between two such convolutions a Relu. Here the dense launch reads X and writes Y channels first
(kernels::ChannelsFirstIn / ChannelsFirstOut: a column of consecutive rows is contiguous in an image, which is how
the dense tiles load and store), and takes a Relu that alone reads its output as its epilogue, so that neither
transpose nor the Relu passes over memory — and consecutive convolutions then chain (codegen/dense_chains.py: the
stack of an EdgeConv block becomes one launch). The launch records the layout as args x_sites / y_sites (S).

Rewritten when: the transposed copy lives in the workspace, is written whole by one Identity map that swaps the
last two axes of a float32 workspace tensor and is read by nothing else; for the output, the dense result likewise,
its last layer without a residual; for the Relu, the dense output has no other reader and the Relu writes the
workspace (channels first) or anything (row-major) at the same positions.
"""

from __future__ import annotations

from dataclasses import replace

from sofie_soa.codegen.dense_chains import _readers
from sofie_soa.codegen.lowering import Plan, reads, written
from sofie_soa.codegen.residual_epilogues import _elementwise
from sofie_soa.compiler.symbolic import size


def _writers(plan: Plan) -> dict:
    """id(Storage) -> the launches that write it."""
    out: dict = {}
    for launch in plan.launches:
        for ref in written(launch):
            out.setdefault(id(ref.storage), []).append(launch)
    return out


def _swap(launch, outer, first: int, second: int) -> bool:
    """Whether a map launch copies a float32 workspace tensor [outer, second, first] whole into [outer, first,
    second] (its last two axes swapped), by the simplified index map the lowering gives (outer may be 1: dropped)."""
    if launch.kernel != "map" or launch.args["op"].name != "Identity" or len(launch.args["ins"]) != 1:
        return False
    m, src, out = launch.args["map"], launch.args["ins"][0], launch.args["out"]
    if src.dtype != "float32" or out.dtype != "float32" or src.storage.kind != "workspace":
        return False
    plane = first * second
    want = ((first, second), ((second, 1), (1, first)), (0, 0))
    if size(out.shape) != size((outer, plane)):
        return False
    found = (tuple(m.extents[-2:]), tuple(tuple(s[-2:]) for s in m.strides), tuple(m.offsets))
    if len(m.extents) == 2:
        return found == want
    return (len(m.extents) == 3 and found == want and m.extents[0] == outer
            and all(s[0] == plane for s in m.strides))


def fuse_conv_transposes(plan: Plan) -> Plan:
    readers, writers = _readers(plan), _writers(plan)
    dead, gone = set(), set()     # ids of the storages and launches that are no longer needed
    for dense in [launch for launch in plan.launches if launch.kernel == "dense"]:
        rows = dense.args["rows"]
        if len(rows) < 2 or not isinstance(rows[-1], int):
            continue
        outer, sites = size(rows[:-1]), rows[-1]
        x, y = dense.args["x"], dense.args["y"]
        k, last = dense.args["layers"][0].k, dense.args["layers"][-1]
        producer = writers.get(id(x.storage), [])
        if (x.storage.kind == "workspace" and readers.get(id(x.storage)) == 1 and len(producer) == 1
                and _swap(producer[0], outer, sites, k)):
            dense.args["x"], dense.args["x_sites"] = producer[0].args["ins"][0], sites
            dead.add(id(x.storage))
            gone.add(id(producer[0]))
        consumer = [launch for launch in plan.launches if any(r.storage is y.storage for r in reads(launch))]
        if (y.storage.kind == "workspace" and readers.get(id(y.storage)) == 1 and last.residual is None
                and len(consumer) == 1 and _swap(consumer[0], outer, last.n, sites)
                and len(writers.get(id(consumer[0].args["out"].storage), [])) == 1):
            dense.args["y"], dense.args["y_sites"] = consumer[0].args["out"], sites
            dead.add(id(y.storage))
            gone.add(id(consumer[0]))
        _take_relu(plan, dense, readers, dead, gone)
    plan.launches = [launch for launch in plan.launches if id(launch) not in gone]
    plan.buffers = [b for b in plan.buffers if id(b) not in dead]
    plan.tensors = {name: ref for name, ref in plan.tensors.items() if id(ref.storage) not in dead}
    return plan


def _take_relu(plan: Plan, dense, readers: dict, dead: set, gone: set) -> None:
    """The lone Relu reading the dense output whole becomes the last layer's epilogue."""
    y, last = dense.args["y"], dense.args["layers"][-1]
    if y.storage.kind != "workspace" or readers.get(id(y.storage)) != 1 or last.epilogue[0] != "identity":
        return
    relu = next((launch for launch in plan.launches if any(r.storage is y.storage for r in reads(launch))), None)
    if (relu is None or not _elementwise(relu, "Relu", 1) or size(relu.args["out"].shape) != size(y.shape)
            or ("y_sites" in dense.args and relu.args["out"].storage.kind != "workspace")):
        return
    dense.args["layers"] = dense.args["layers"][:-1] + [replace(last, epilogue=("relu", 0.0, 0.0))]
    dense.args["y"] = relu.args["out"]
    dead.add(id(y.storage))
    gone.add(id(relu))
