"""ONNX model -> IR, with the onnx package's checker and shape inference."""

from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import numpy_helper

from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import N, Graph, Node


def load_model(model) -> onnx.ModelProto:
    """Loads a path, bytes or ModelProto and checks it. Raises ModelError naming the file for corrupt or
    non-ONNX input."""
    if isinstance(model, onnx.ModelProto):
        proto, where = model, "the model"
    else:
        where = f"'{model}'" if isinstance(model, (str, os.PathLike)) else "the given bytes"
        try:
            proto = onnx.load_model_from_string(model) if isinstance(model, bytes) else onnx.load(os.fspath(model))
        except FileNotFoundError:
            raise
        except Exception as err:
            raise ModelError(f"{where} is not a readable ONNX model: {err}") from err
    try:
        onnx.checker.check_model(proto)
    except Exception as err:
        raise ModelError(f"{where} fails the ONNX checker: {err}") from err
    if not proto.graph.node:
        raise ModelError(f"{where} has no nodes (is it an ONNX model?)")
    return proto


def _shape_of(value_info, symbolic_first: bool) -> tuple:
    dims = value_info.type.tensor_type.shape.dim
    shape = []
    for i, d in enumerate(dims):
        if d.HasField("dim_value") and not (i == 0 and symbolic_first and d.dim_value <= 0):
            shape.append(int(d.dim_value))
        elif i == 0:
            shape.append(N)
        else:
            raise ModelError(f"input '{value_info.name}' has an unknown extent in dimension {i}: only the first "
                             f"dimension (the element count) may be dynamic")
    return tuple(shape)


def to_ir(proto: onnx.ModelProto) -> Graph:
    """Builds the IR. Graph inputs whose first dimension is symbolic get the element count N there."""
    g = proto.graph
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1)
    constants = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [vi for vi in g.input if vi.name not in constants]
    shapes, dtypes = {}, {}
    for vi in inputs:
        shapes[vi.name] = _shape_of(vi, symbolic_first=True)
        dtypes[vi.name] = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type).name
    nodes = [Node(n.op_type, list(n.input), list(n.output),
                  {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}, n.name)
             for n in g.node]
    return Graph(nodes, [vi.name for vi in inputs], [o.name for o in g.output], shapes, dtypes,
                 {k: np.asarray(v) for k, v in constants.items()}, opset)
