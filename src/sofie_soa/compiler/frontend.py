"""ONNX model -> IR: loading with the onnx package's checker and this compiler's limits (load_model), then the
graph as IR nodes with typed graph inputs whose dynamic dimensions are resolved (to_ir)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import external_data_helper, numpy_helper

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.ir import Graph, Node, TensorType
from sofie_soa.compiler.symbolic import N


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
    initializers = {t.name for t in proto.graph.initializer}
    inputs = [v for v in proto.graph.input if v.name not in initializers]  # IR < 4 lists initializers as inputs
    for kind, values in (("inputs", inputs), ("outputs", proto.graph.output)):
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


def _dims(value_info) -> list:
    """The declared dimensions of a graph input: ints, dim_param names, or None where unnamed. A dim_value <= 0 on
    axis 0 is the legacy spelling of a dynamic batch (named 'N')."""
    out = []
    for axis, d in enumerate(value_info.type.tensor_type.shape.dim):
        if d.HasField("dim_value") and (d.dim_value > 0 or axis > 0):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            out.append(d.dim_param)
        else:
            out.append("N" if axis == 0 else None)
    return out


def resolve_dims(inputs, fixed: dict) -> tuple[dict, str | None]:
    """Shapes of the graph inputs (`inputs`: their ValueInfoProtos) with every dynamic dimension resolved: those
    named in `fixed` (compile(..., dims={"P": 64})) become ints, and the one left, shared by the inputs however
    the exporter named it, becomes the element count N. Returns (name -> shape, the name of N or None for a
    fixed-shape model). ModelError names a dimension left unknown, several dynamic dimensions, or a key of
    `fixed` that no input has."""
    declared = {vi.name: _dims(vi) for vi in inputs}
    for name, dims in declared.items():
        if len(dims) > MAX_RANK:
            raise ModelError(f"input '{name}' has rank {len(dims)}; at most {MAX_RANK} dimensions are supported")
        for axis, d in enumerate(dims):
            if d is None:
                raise ModelError(f"input '{name}' has an unnamed dynamic dimension {axis}: give it a name when "
                                 f"exporting (dynamic_axes / dynamic_shapes) or fix it with compile(..., dims=...)")
    dynamic = {d for dims in declared.values() for d in dims if isinstance(d, str)}
    unknown = sorted(set(fixed) - dynamic)
    if unknown:
        raise ModelError(f"dims={fixed} names {unknown}, which no graph input has (dynamic dimensions: "
                         f"{sorted(dynamic) or 'none'})")
    for key, value in fixed.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ModelError(f"dims['{key}'] = {value!r}: a dimension is an integer >= 0")
    left = sorted(dynamic - set(fixed))
    if len(left) > 1:
        raise ModelError(f"the graph inputs have {len(left)} dynamic dimensions ({', '.join(map(repr, left))}): one is "
                         f"the element count N, the others must be fixed with compile(..., dims={{{left[1]!r}: ...}})")
    element_count = left[0] if left else None
    shapes = {name: tuple(N if d == element_count else fixed.get(d, d) for d in dims)
              for name, dims in declared.items()}
    return shapes, element_count


def _attribute(attr, node, opset: int, where: str):
    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, onnx.GraphProto):
        return _graph(value, opset, {}, where)
    if isinstance(value, onnx.TensorProto):
        return _array(value, f"{where}: attribute '{attr.name}'")
    if isinstance(value, list) and value and isinstance(value[0], onnx.GraphProto):
        return [_graph(g, opset, {}, where) for g in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8", "replace") for v in value]
    return value


def _array(tensor: onnx.TensorProto, what: str) -> np.ndarray:
    dtypes.from_onnx(tensor.data_type, what)        # ModelError for unsupported element types
    return np.asarray(numpy_helper.to_array(tensor))


def _graph(g: onnx.GraphProto, opset: int, input_shapes: dict, where: str = "the model",
           bound: dict | None = None) -> Graph:
    constants = {t.name: _array(t, f"initializer '{t.name}'") for t in g.initializer}
    constants.update(bound or {})
    inputs = [vi for vi in g.input if vi.name not in constants]
    types = {}
    for vi in inputs:
        if not vi.type.HasField("tensor_type"):
            raise UnsupportedOperator(f"input '{vi.name}' is not a tensor (sequences, optionals and maps are not "
                                      f"supported)")
        dtype = dtypes.from_onnx(vi.type.tensor_type.elem_type, f"input '{vi.name}'")
        types[vi.name] = TensorType(dtype, input_shapes.get(vi.name, ()))
    nodes = []
    for n in g.node:
        what = f"node '{n.name or (n.output[0] if n.output else '?')}' ({n.op_type})"
        nodes.append(Node(n.op_type, list(n.input), list(n.output),
                          {a.name: _attribute(a, n, opset, what) for a in n.attribute}, n.name, opset))
    return Graph(nodes, [vi.name for vi in inputs], [o.name for o in g.output], types, constants, opset)


def bind_inputs(g: onnx.GraphProto, constants: dict) -> dict:
    """Graph inputs given a value at compile time (`compile(..., constants={name: array})`): each becomes a
    constant like an initializer, so that shape inputs (a Reshape's target, Slice's starts, ...) fold. ModelError
    when a name is not a graph input, or the array's dtype or shape differs from the input's declaration."""
    declared = {vi.name: vi for vi in g.input}
    bound = {}
    for name, value in constants.items():
        if name not in declared:
            raise ModelError(f"constants: '{name}' is not a graph input (inputs: {', '.join(sorted(declared))})")
        array = np.asarray(value)
        tensor = declared[name].type.tensor_type
        dtype = dtypes.from_onnx(tensor.elem_type, f"input '{name}'")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
        if array.dtype.name != dtype or (tensor.HasField("shape") and (
                len(dims) != array.ndim or any(d is not None and d != e for d, e in zip(dims, array.shape)))):
            raise ModelError(f"constants: input '{name}' is declared {dtype}{dims}, the value is "
                             f"{array.dtype.name}{list(array.shape)}")
        bound[name] = array
    return bound


def to_ir(proto: onnx.ModelProto, dims: dict | None = None, constants: dict | None = None) -> Graph:
    """The IR of a loaded model: nodes follow the model's standard-domain opset; graph inputs are typed, their
    dynamic dimensions resolved by resolve_dims(dims); inputs in `constants` are bound to those values
    (bind_inputs)."""
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1)
    g = proto.graph
    bound = bind_inputs(g, constants or {})
    initialized = {t.name for t in g.initializer} | set(bound)
    shapes, element_count = resolve_dims([vi for vi in g.input if vi.name not in initialized], dict(dims or {}))
    graph = _graph(g, opset, shapes, bound=bound)
    graph.element_count = element_count
    return graph
