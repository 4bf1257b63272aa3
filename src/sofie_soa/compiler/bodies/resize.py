"""Resize and Upsample as one constant linear map, in ONNX operators (bodies/__init__.py says what a body is).

  Resize-10/11/13/18/19  X [d0, ..., dr-1], roi, scales or sizes known at compile time -> Y (ONNX Resize-19: every
                         mode, coordinate_transformation_mode, nearest_mode, cubic_coeff_a, exclude_outside,
                         antialias, axes, keep_aspect_ratio_policy, extrapolation_value)
  Upsample-7/9           Resize with coordinate_transformation_mode "asymmetric" and nearest_mode "floor"

Every mode is linear in X (plus a constant where tf_crop_and_resize extrapolates), so the map is computed once, at
compile time, by onnx's reference evaluator applied to the unit vectors of the resized axes: an interpolation
matrix R [S, P] (S input and P output positions of the trailing axes that change; the leading axes that do not
change are a batch). A map that picks one input per output (nearest) becomes a Gather of constant indices; any
other a MatMul with R (the dense tiles for float32), plus the constant. Maps with S·P above MAX_MATRIX entries are
refused.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.bodies.common import constant, function, ints
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node

MAX_MATRIX = 1 << 24


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _attributes(node: Node) -> dict:
    """The node's Resize-19 attributes (Upsample's mapped to their Resize equivalents)."""
    from sofie_soa.compiler.folding import _plain_attrs
    attrs = _plain_attrs(node)
    if node.op_type == "Upsample":
        attrs = {"mode": _text(attrs.get("mode", "nearest")), "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}
    return attrs


def _known(node: Node, inputs: list) -> dict:
    """roi, scales and sizes as arrays (None where absent or empty); ModelError where one is only known at run
    time."""
    if node.op_type == "Upsample" and "scales" in node.attrs:
        return {"roi": None, "scales": np.asarray(node.attrs["scales"], np.float32), "sizes": None}
    slots = {"scales": 1} if node.op_type == "Upsample" or node.opset < 11 else {"roi": 1, "scales": 2, "sizes": 3}
    known = {"roi": None, "scales": None, "sizes": None}
    for role, i in slots.items():
        t = inputs[i] if i < len(inputs) else None
        if t is None:
            continue
        if t.value is None:
            raise ModelError(f"{node.describe()}: {node.op_type}'s {role} ('{t.name}') must be known at compile time "
                             f"(the output's shape and the interpolation depend on it)")
        known[role] = np.asarray(t.value) if np.asarray(t.value).size else None
    return known


def _unchanged(i: int, dims, attrs: dict, known: dict, axes: list) -> bool:
    """Whether axis i maps each position to itself (a batch axis of the map)."""
    if i not in axes:
        return True
    k = axes.index(i)
    if _text(attrs.get("coordinate_transformation_mode", "half_pixel")) == "tf_crop_and_resize":
        roi = known["roi"]
        if roi is not None and (roi[k] != 0 or roi[len(axes) + k] != 1):
            return False
    if known["scales"] is not None:
        return float(known["scales"][k]) == 1.0
    return known["sizes"] is not None and isinstance(dims[i], int) and int(known["sizes"][k]) == dims[i]


def _reference(attrs: dict, known: dict, shape: list, dtype: str):
    """onnx's reference Resize-19 with these attributes and inputs, as a function of X [shape]."""
    elem = dtypes.to_onnx(dtype)
    inits = [numpy_helper.from_array(np.asarray(v), role) for role, v in known.items() if v is not None]
    names = ["X"] + [role if known[role] is not None else "" for role in ("roi", "scales", "sizes")]
    while names[-1] == "":
        names.pop()
    graph = helper.make_graph([helper.make_node("Resize", names, ["Y"], **attrs)], "resize",
                              [helper.make_tensor_value_info("X", elem, shape)],
                              [helper.make_tensor_value_info("Y", elem, None)], inits)
    evaluator = ReferenceEvaluator(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]))
    return lambda x: evaluator.run(None, {"X": x})[0]


def resize(node: Node, inputs: list):
    x = inputs[0] if inputs else None
    if x is None:
        return None
    attrs, known = _attributes(node), _known(node, inputs)
    dims, rank = list(x.shape), len(x.shape)
    axes = [a % rank for a in attrs.get("axes", range(rank))]
    lead = 0
    while lead < rank and _unchanged(lead, dims, attrs, known, axes):
        lead += 1
    if any(not isinstance(d, int) for d in dims[lead:]):
        raise ModelError(f"{node.describe()}: {node.op_type} of '{node.inputs[0]}' {x.shape} changes an axis whose "
                         f"extent is only known at run time")
    rest = [int(d) for d in dims[lead:]]
    positions = int(np.prod(rest))
    work = "float32" if x.dtype == "float16" else x.dtype
    # the unit vectors of the changing axes stacked along axis 0 (a batch axis, or a new one when there is none)
    def shaped(batch: int) -> list:
        return [batch] + [1] * (lead - 1) + rest if lead else [batch] + rest

    def reference(batch: int):
        at = dict(known)
        if known["sizes"] is not None:
            at["sizes"] = np.asarray([(batch if a == 0 else 1) if a < lead else s
                                      for a, s in zip(axes, known["sizes"])], np.int64)
        if not lead:        # a leading axis of extent `batch` that the map leaves alone
            at = {"roi": None if at["roi"] is None else np.concatenate([[0], at["roi"][:rank], [1], at["roi"][rank:]]),
                  "scales": None if at["scales"] is None else np.concatenate([[1], at["scales"]]),
                  "sizes": None if at["sizes"] is None else np.concatenate([[batch], at["sizes"]])}
            return _reference(dict(attrs, axes=[0] + [a + 1 for a in axes]) if "axes" in attrs else attrs, at,
                              shaped(batch), work)
        return _reference(attrs, at, shaped(batch), work)

    offset = reference(1)(np.zeros(shaped(1), dtype=work))
    out_rest = list(offset.shape[max(lead, 1):])
    offset = offset.reshape(-1)
    outputs = int(np.prod(out_rest))
    if positions * outputs > MAX_MATRIX:
        raise ModelError(f"{node.describe()}: {node.op_type} of {positions} positions to {outputs} would need an "
                         f"interpolation map of {positions * outputs} entries, above {MAX_MATRIX}")
    basis = np.eye(positions, dtype=work).reshape(shaped(positions))
    matrix = reference(positions)(basis).reshape(positions, outputs) - offset
    keep = [0] * lead
    nodes = [ints("flat", keep + [positions] if lead else [1, positions]), ints("y_shape", keep + out_rest),
             helper.make_node("Reshape", ["X", "flat"], ["flat_x"])]
    one_hot = (not offset.any() and np.isin(matrix, (0, 1)).all() and (matrix.sum(axis=0) == 1).all())
    if one_hot:
        nodes += [constant("picks", matrix.argmax(axis=0).astype(np.int64)),
                  helper.make_node("Gather", ["flat_x", "picks"], ["flat_y"], axis=max(lead, 1))]
    else:
        if not x.dtype.startswith("float"):
            raise ModelError(f"{node.describe()}: {node.op_type} of {x.dtype} in mode "
                             f"{_text(attrs.get('mode', 'nearest'))!r} is not supported (only nearest picks)")
        source = "flat_x"
        if work != x.dtype:
            nodes.append(helper.make_node("Cast", ["flat_x"], ["wide_x"], to=TensorProto.FLOAT))
            source = "wide_x"
        nodes += [constant("matrix", matrix.astype(work)), helper.make_node("MatMul", [source, "matrix"], ["mapped"])]
        last = "mapped"
        if offset.any():
            nodes += [constant("offset", offset.astype(work)), helper.make_node("Add", ["mapped", "offset"], ["shifted"])]
            last = "shifted"
        if work != x.dtype:
            nodes.append(helper.make_node("Cast", [last], ["narrow"], to=dtypes.to_onnx(x.dtype)))
            last = "narrow"
        nodes.append(helper.make_node("Identity", [last], ["flat_y"]))
    nodes.append(helper.make_node("Reshape", ["flat_y", "y_shape"], ["Y"]))
    return function(node.op_type, ["X", "roi", "scales", "sizes"], ["Y"], nodes)
