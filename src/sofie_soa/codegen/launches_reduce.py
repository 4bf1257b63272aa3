"""Emitters of the reduction family's launches (compiler/ops/reduce.py; kernels/reduce.hpp, kernels/cumulative.hpp):

  reduce      kind: kernels::ReduceKind name, out, x: Ref, outer: IndexMap (output, input), inner: IndexMap
              (input), reduced: int | SymN (positions of `inner`)                kernels::ReduceKernel<kind>
  arg_reduce  kind: "max" | "min", out (int64), x: Ref, outer: IndexMap (output, input), length, stride: int |
              SymN (the axis' extent and input stride), last: bool             kernels::ArgReduceKernel<max?>
  cumulative  kind: "sum" | "product", y, x: Ref, lines, length, inner: int | SymN, exclusive, reverse: bool
                                                                               kernels::CumulativeKernel<product?>
"""

from __future__ import annotations

from sofie_soa.codegen import cpp
from sofie_soa.codegen.launches import accessor, call, emitter, index_map


def _bool(value: bool) -> str:
    return "true" if value else "false"


@emitter("reduce")
def _reduce(a: dict, plan, where: str) -> str:
    return call(cpp.dim(a["outer"].count), f"ReduceKernel<kernels::ReduceKind::{a['kind']}>",
                index_map(a["outer"], where), index_map(a["inner"], where), cpp.dim(a["reduced"]),
                accessor(a["out"], plan, True), accessor(a["x"], plan, False))


@emitter("arg_reduce")
def _arg_reduce(a: dict, plan, where: str) -> str:
    return call(cpp.dim(a["outer"].count), f"ArgReduceKernel<{_bool(a['kind'] == 'max')}>",
                index_map(a["outer"], where), cpp.dim(a["length"]), cpp.dim(a["stride"]), _bool(a["last"]),
                accessor(a["out"], plan, True), accessor(a["x"], plan, False))


@emitter("cumulative")
def _cumulative(a: dict, plan, where: str) -> str:
    return call(cpp.dim(a["lines"]), f"CumulativeKernel<{_bool(a['kind'] == 'product')}>",
                accessor(a["x"], plan, False), accessor(a["y"], plan, True), cpp.dim(a["length"]),
                cpp.dim(a["inner"]), _bool(a["exclusive"]), _bool(a["reverse"]))
