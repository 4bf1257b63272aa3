"""Large dense layers through BLAS, a pass over the lowered Plan of GPU sessions (before dense-chain fusion).

On a GPU the DenseKernel gives each thread one row and keeps that row's activations in registers. That works for
trigger-sized layers. Past about 128 × 128 multiply-adds per row the registers spill, and a tiled GEMM (cuBLAS)
is faster. A dense launch whose layer has at least BLAS_MIN_MACS multiply-adds per row becomes:

  1. a gather into the workspace (unary identity, converting the dtype), when its input is read from the caller's
     features;
  2. a `gemm` launch, product only, workspace to workspace (sofie_soa/runtime/gemm.hpp: cublasSgemm on the
     queue's stream);
  3. the bias (binary Add, broadcast over rows) and the activation (unary), in place when the product went
     straight into the layer's output (in the workspace), else the last of them writes the output.

Smaller layers stay in the DenseKernel, and fusion chains them afterwards as on CPUs.
"""

from __future__ import annotations

from sofie_soa.codegen.lowering import Launch, Plan, workspace_buffer

BLAS_MIN_MACS = 128 * 128
IDENTITY = ("identity", 0.0, 0.0)


def _split(plan: Plan, launch: Launch) -> list[Launch]:
    (layer,) = launch.args["layers"]          # lowering writes one layer per dense launch
    rows, x, y = launch.args["rows"], launch.args["x"], launch.args["y"]
    shape = tuple(rows) + (layer.n,)
    out = []
    if x.storage.kind != "workspace":
        gathered = workspace_buffer(plan, tuple(rows) + (layer.k,))
        out.append(Launch("unary", dict(x=x, y=gathered, count=gathered.shape, op=IDENTITY)))
        x = gathered
    product = y if y.storage.kind == "workspace" else workspace_buffer(plan, shape)     # the output itself if it can
    out.append(Launch("gemm", dict(x=x, y=product, rows=rows, layer=layer)))
    activation = layer.epilogue != IDENTITY or (layer.bias is None and product is not y)  # else nothing moves
    if layer.bias is not None:
        out.append(Launch("binary", dict(a=product, b=layer.bias, y=product if activation else y, count=shape,
                                         kind="add", shapes=(shape, shape, (layer.n,)))))
    if activation:
        out.append(Launch("unary", dict(x=product, y=y, count=shape, op=layer.epilogue)))
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
