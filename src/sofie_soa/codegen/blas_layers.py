"""Large dense layers through BLAS, a pass over the lowered Plan of GPU sessions (before dense-chain fusion).

On a GPU the DenseKernel gives each thread one row and keeps that row's activations in registers. That works for
trigger-sized layers. Past about 128 × 128 multiply-adds per row the registers spill, and a tiled GEMM (cuBLAS)
is faster. A dense launch whose layer has at least BLAS_MIN_MACS multiply-adds per row becomes:

  1. a gather into the workspace (an Identity map, converting the dtype), when its input is read from the
     caller's features;
  2. a `gemm` launch, product only, workspace to workspace (sofie_soa/runtime/gemm.hpp: cublasSgemm on the
     queue's stream);
  3. the bias (an Add map, broadcast over rows) and the activation (a map of its functor), in place when the
     product went straight into the layer's output (in the workspace), else the last of them writes the output.

Smaller layers stay in the DenseKernel, and fusion chains them afterwards as on CPUs.
"""

from __future__ import annotations

from sofie_soa.codegen.index_maps import elementwise
from sofie_soa.codegen.launches import Functor
from sofie_soa.codegen.lowering import Launch, Plan, workspace_buffer
from sofie_soa.compiler.ops.dense import IDENTITY, epilogue_functor

BLAS_MIN_MACS = 128 * 128


def _map(functor, out, ins, shapes) -> Launch:
    return Launch("map", dict(op=functor, out=out, ins=ins, map=elementwise(out.shape, *shapes)))


def _split(plan: Plan, launch: Launch) -> list[Launch]:
    (layer,) = launch.args["layers"]          # lowering writes one layer per dense launch
    rows, x, y = launch.args["rows"], launch.args["x"], launch.args["y"]
    shape = tuple(rows) + (layer.n,)
    out = []
    if x.storage.kind != "workspace":
        gathered = workspace_buffer(plan, tuple(rows) + (layer.k,), "float32")
        out.append(_map(Functor("Identity"), gathered, [x], [gathered.shape]))
        x = gathered
    product = y if y.storage.kind == "workspace" else workspace_buffer(plan, shape, "float32")  # y itself if it can
    out.append(Launch("gemm", dict(x=x, y=product, rows=rows, layer=layer)))
    activation = layer.epilogue != IDENTITY or (layer.bias is None and product is not y)  # else nothing moves
    if layer.bias is not None:
        out.append(_map(Functor("Add"), product if activation else y, [product, layer.bias], [shape, (layer.n,)]))
    if activation:
        out.append(_map(epilogue_functor(layer.epilogue), y, [product], [shape]))
    return out


def split_blas_layers(plan: Plan) -> Plan:
    launches = []
    for launch in plan.launches:
        layers = launch.args.get("layers") if launch.kernel == "dense" else None
        if layers and layers[0].k * layers[0].n >= BLAS_MIN_MACS:
            launches += _split(plan, launch)
        else:
            launches.append(launch)
    plan.launches = launches
    return plan
