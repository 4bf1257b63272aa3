"""ONNX model -> IR, with the onnx package's checker and shape inference."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import external_data_helper, numpy_helper

from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ir import N, Graph, Node


# Documented limits (README, "Limits"): models beyond them are refused when they are loaded.
MAX_NODES = 20_000            # nodes, subgraphs included
MAX_GRAPH_TENSORS = 64        # graph inputs, and graph outputs
MAX_RANK = 8                  # dimensions of any tensor


def _external_tensors(proto: onnx.ModelProto) -> list:
    return [t for t in external_data_helper._get_all_tensors(proto)
            if t.HasField("data_location") and t.data_location == onnx.TensorProto.EXTERNAL]


def _check_external_location(tensor, base: Path, where: str) -> None:
    """ModelError unless the tensor's external file is a relative path inside `base` (the model file's folder)."""
    location = next((e.value for e in tensor.external_data if e.key == "location"), "")
    path = Path(location)
    inside = (base / path).resolve()
    if not location or path.is_absolute() or ".." in path.parts or base.resolve() not in inside.parents:
        raise ModelError(f"{where}: initializer '{tensor.name}' has external data at '{location}', outside the "
                         f"model file's folder {base}")


def load_model(model, base_dir=None) -> onnx.ModelProto:
    """Loads a path, bytes or ModelProto and checks it (ONNX checker, standard domain, an opset the installed onnx
    package defines, MAX_NODES / MAX_GRAPH_TENSORS). External data is read only from the model file's own folder
    (a relative path inside it); a model given as bytes or a ModelProto may use external data only when
    `base_dir` names that folder. Raises ModelError naming the file for corrupt or non-ONNX input and for every
    refusal above."""
    if isinstance(model, onnx.ModelProto):
        proto, where = onnx.ModelProto.FromString(model.SerializeToString()), "the model"
    else:
        where = f"'{model}'" if isinstance(model, (str, os.PathLike)) else "the given bytes"
        try:
            if isinstance(model, bytes):
                proto = onnx.load_model_from_string(model)
            else:
                proto = onnx.load(os.fspath(model), load_external_data=False)
                base_dir = Path(os.fspath(model)).resolve().parent
        except FileNotFoundError:
            raise
        except Exception as err:
            raise ModelError(f"{where} is not a readable ONNX model: {err}") from err
    external = _external_tensors(proto)
    if external:
        if base_dir is None:
            raise ModelError(f"{where} keeps initializer '{external[0].name}' in an external file; pass the model "
                             f"as a file path (or base_dir=) so that it is read from the model's own folder")
        for tensor in external:
            _check_external_location(tensor, Path(base_dir), where)
        try:
            external_data_helper.load_external_data_for_model(proto, os.fspath(base_dir))
        except Exception as err:
            raise ModelError(f"{where}: reading its external data failed: {err}") from err
    try:
        onnx.checker.check_model(proto)
    except Exception as err:
        raise ModelError(f"{where} fails the ONNX checker: {err}") from err
    if not proto.graph.node:
        raise ModelError(f"{where} has no nodes (is it an ONNX model?)")
    _check_limits(proto, where)
    return proto


def _check_limits(proto: onnx.ModelProto, where: str) -> None:
    latest = onnx.defs.onnx_opset_version()
    for opset in proto.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version > latest:
            raise ModelError(f"{where} imports opset {opset.version} of the standard domain; the installed onnx "
                             f"package defines opsets up to {latest}")
    nodes = list(_all_nodes(proto.graph))
    if len(nodes) > MAX_NODES:
        raise ModelError(f"{where} has {len(nodes)} nodes; the compiler accepts at most {MAX_NODES}")
    for node in nodes:
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOperator(f"node '{node.name or node.output[0]}' ({node.op_type}) is in domain "
                                      f"'{node.domain}': only the standard ONNX domain is supported")
    for kind, values in (("inputs", proto.graph.input), ("outputs", proto.graph.output)):
        if len(values) > MAX_GRAPH_TENSORS:
            raise ModelError(f"{where} has {len(values)} graph {kind}; at most {MAX_GRAPH_TENSORS} are supported")
    names = [o.name for o in proto.graph.output]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ModelError(f"{where} names graph output '{duplicate}' twice")


def _all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield from _all_nodes(sub)


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
