"""Residual-add fusion, a pass over the lowered Plan: a dense launch whose result is only read by an element-wise
Add of a tensor of the same shape — a skip connection, x + Linear(...) — takes that tensor into its last layer's
epilogue (kernels::DenseLayer::residual: sum + bias + skip, then the epilogue), and a Relu that alone reads the
sum becomes that epilogue: ReLU(x + Linear(ReLU(Linear(x)))) is one launch instead of three, and neither the
layer's output nor the sum passes through the workspace.

Fused when: the dense output lives in the workspace, row-major, and has no other reader; the Add reads it and a float32
workspace or weight tensor of its shape at the same positions (an identity index map); the last layer has no
epilogue of its own (the Add comes after it); for the Relu, the sum is in the workspace with no other reader.
"""

from __future__ import annotations

from dataclasses import replace

from sofie_soa.codegen.dense_chains import _readers
from sofie_soa.codegen.lowering import Plan


def _elementwise(launch, op: str, operands: int) -> bool:
    """A map launch of functor `op` over `operands` float32 tensors of its output's shape at the same positions."""
    if launch.kernel != "map" or launch.args["op"].name != op or len(launch.args["ins"]) != operands:
        return False
    m, out = launch.args["map"], launch.args["out"]
    return (len(m.extents) == 1 and all(s == (1,) for s in m.strides) and all(o == 0 for o in m.offsets)
            and all(r.shape == out.shape and r.dtype == "float32" for r in launch.args["ins"])
            and out.dtype == "float32")


def fuse_residual_adds(plan: Plan) -> Plan:
    readers = _readers(plan)
    launches, dead = list(plan.launches), set()
    fused, t = [], 0
    while t < len(launches):
        dense = launches[t]
        add = launches[t + 1] if t + 1 < len(launches) else None
        y = dense.args["y"] if dense.kernel == "dense" else None
        layer = dense.args["layers"][-1] if y is not None else None
        if (add is not None and y is not None and "y_sites" not in dense.args and y.storage.kind == "workspace"
                and readers.get(id(y.storage)) == 1
                and layer.epilogue[0] == "identity" and layer.residual is None and _elementwise(add, "Add", 2)
                and any(r.storage is y.storage for r in add.args["ins"])):
            skip = next((r for r in add.args["ins"] if r.storage is not y.storage), None)
            if skip is not None and skip.storage.kind in ("workspace", "weights") and skip.shape == y.shape:
                layer = replace(layer, residual=skip)     # layers may be shared with another target's plan
                dense.args["skip"], dense.args["y"] = skip, add.args["out"]
                dead.add(id(y.storage))
                t += 2
                relu = launches[t] if t < len(launches) else None
                total = dense.args["y"]
                if (relu is not None and total.storage.kind == "workspace" and readers.get(id(total.storage)) == 1
                        and _elementwise(relu, "Relu", 1) and relu.args["ins"][0].storage is total.storage):
                    layer = replace(layer, epilogue=("relu", 0.0, 0.0))
                    dense.args["y"] = relu.args["out"]
                    dead.add(id(total.storage))
                    t += 1
                dense.args["layers"] = dense.args["layers"][:-1] + [layer]
                fused.append(dense)
                continue
        fused.append(dense)
        t += 1
    plan.launches = fused
    plan.buffers = [b for b in plan.buffers if id(b) not in dead]
    plan.tensors = {name: ref for name, ref in plan.tensors.items() if id(ref.storage) not in dead}
    return plan
