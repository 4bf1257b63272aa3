"""Emitters of the indexing family's launches (compiler/ops/indexing.py; kernels/gather.hpp, kernels/scatter.hpp),
and the run-time index checks they share.

Launch arguments (`check`: the message a launch whose indices come from data reports, None for indices checked at
compile time):
  gather           data, indices, y: Ref, extent, gathered, inner: dims (data [outer, extent, inner], indices
                   [gathered])
  gather_elements  data, indices, y: Ref, map: IndexMap (output, data without the axis), extent, stride: dims
  gather_nd        data, indices, y: Ref, geometry: Geometry
  scatter_elements indices, updates, y: Ref, map: IndexMap (updates, output without the axis), length, step,
                   extent, stride: dims, reduction
  scatter_nd       indices, updates, y: Ref, tuples: dim, geometry: Geometry, reduction
  onehot           indices, values, y: Ref, depth, inner: dims, negative: bool

Index checks: the session's error word (int32) lies ERROR_WORD_BYTES after the planned workspace (plan.workspace,
set by the memory planner before emission); a checked launch gets kernels::IndexError{word, code} with code = 1 +
the number of its message in index_checks(plan), which the emitter writes as Model::kIndexErrors.
"""

from __future__ import annotations

from dataclasses import dataclass

from sofie_soa.codegen import cpp
from sofie_soa.codegen.index_maps import MAX_RANK
from sofie_soa.codegen.launches import accessor, call, emitter, index_map
from sofie_soa.compiler.errors import ModelError

ERROR_WORD_BYTES = 8        # an int32, the workspace's end kept 8-aligned
INDEX_ERROR = "index out of range (indices read from data must lie in [-d, d - 1] for an axis of extent d)"


def check_message(where: str) -> str:
    """What a checked launch of node `where` reports (runtime/model.py raises it as sofie_soa.IndexOutOfRange)."""
    return f"{where}: {INDEX_ERROR}"


@dataclass(frozen=True)
class Geometry:
    """kernels::TupleGeometry: k indices per tuple addressing `extents` with `strides`, slices of `slice`
    elements, `groups` tuples per batch of `batch_stride` elements (ints or SymN)."""
    extents: tuple
    strides: tuple
    slice: object
    groups: object
    batch_stride: object


def index_checks(plan) -> list[str]:
    """The messages of the plan's checked launches, in launch order, each once."""
    out: list[str] = []
    for launch in plan.launches:
        message = launch.args.get("check")
        if message and message not in out:
            out.append(message)
    return out


def _error(a: dict, plan) -> str:
    if not a.get("check"):
        return "kernels::IndexError{}"
    code = index_checks(plan).index(a["check"]) + 1
    return f"kernels::IndexError{{reinterpret_cast<::std::int32_t*>(ws + {cpp.linear(*plan.workspace)}), {code}}}"


def _geometry(g: Geometry, where: str) -> str:
    if len(g.extents) > MAX_RANK:
        raise ModelError(f"{where}: tuples of {len(g.extents)} indices exceed {MAX_RANK}")
    dims = lambda values: "{" + ", ".join(cpp.dim(v) for v in values) + "}"  # noqa: E731
    return (f"kernels::TupleGeometry{{{len(g.extents)}, {dims(g.extents)}, {dims(g.strides)}, {cpp.dim(g.slice)}, "
            f"{cpp.dim(g.groups)}, {cpp.dim(g.batch_stride)}}}")


def _count(ref) -> str:
    from sofie_soa.compiler.symbolic import size
    return cpp.dim(size(ref.shape))


@emitter("gather")
def _gather(a: dict, plan, where: str) -> str:
    return call(_count(a["y"]), "GatherKernel", accessor(a["data"], plan, False), accessor(a["indices"], plan, False),
                accessor(a["y"], plan, True), cpp.dim(a["extent"]), cpp.dim(a["gathered"]), cpp.dim(a["inner"]),
                _error(a, plan))


@emitter("gather_elements")
def _gather_elements(a: dict, plan, where: str) -> str:
    return call(_count(a["y"]), "GatherElementsKernel", index_map(a["map"], where), accessor(a["data"], plan, False),
                accessor(a["indices"], plan, False), accessor(a["y"], plan, True), cpp.dim(a["extent"]),
                cpp.dim(a["stride"]), _error(a, plan))


@emitter("gather_nd")
def _gather_nd(a: dict, plan, where: str) -> str:
    return call(_count(a["y"]), "GatherNDKernel", accessor(a["data"], plan, False), accessor(a["indices"], plan, False),
                accessor(a["y"], plan, True), _geometry(a["geometry"], where), _error(a, plan))


def _reduction(name: str) -> str:
    return f"kernels::ScatterReduction::{name}"


@emitter("scatter_elements")
def _scatter_elements(a: dict, plan, where: str) -> str:
    return call(cpp.dim(a["map"].count), "ScatterElementsKernel", index_map(a["map"], where),
                accessor(a["indices"], plan, False), accessor(a["updates"], plan, False), accessor(a["y"], plan, True),
                cpp.dim(a["length"]), cpp.dim(a["step"]), cpp.dim(a["extent"]), cpp.dim(a["stride"]),
                _reduction(a["reduction"]), _error(a, plan))


@emitter("scatter_nd")
def _scatter_nd(a: dict, plan, where: str) -> str:
    g: Geometry = a["geometry"]
    work = _count(a["updates"]) if a["reduction"] == "none" else cpp.dim(g.slice)
    return call(work, "ScatterNDKernel", accessor(a["indices"], plan, False), accessor(a["updates"], plan, False),
                accessor(a["y"], plan, True), cpp.dim(a["tuples"]), _geometry(g, where), _reduction(a["reduction"]),
                _error(a, plan))


@emitter("onehot")
def _onehot(a: dict, plan, where: str) -> str:
    return call(_count(a["y"]), "OneHotKernel", accessor(a["indices"], plan, False), accessor(a["values"], plan, False),
                accessor(a["y"], plan, True), cpp.dim(a["depth"]), cpp.dim(a["inner"]),
                "true" if a["negative"] else "false")
