"""ONNX function operators without a kernel here (SoftmaxCrossEntropyLoss, MeanVarianceNormalization, Celu, ...)
expand into their function bodies, as the ONNX specification defines them (onnx.defs schemas: a plain function,
or a context-dependent one built for the node's input types), and a few operators without a schema body into
the ones bodies.py writes (InstanceNormalization, LpNormalization). Body nodes keep the opset the function body was
written for, so each follows its own operator version; attributes referenced by the body (ref_attr_name) take
the node's values or the schema's defaults; the body's own tensors get fresh names.
"""

from __future__ import annotations

import onnx
from onnx import helper

from sofie_soa.compiler import dtypes
from sofie_soa.compiler.ir import Node, TensorType
from sofie_soa.compiler.symbolic import SymN


def _schema(node: Node):
    try:
        return onnx.defs.get_schema(node.op_type, node.opset, "")
    except onnx.defs.SchemaError:
        return None


def _type_proto(t: TensorType | None):
    if t is None:
        return onnx.TypeProto()
    shape = ["N" if isinstance(d, SymN) else int(d) for d in t.shape]
    return helper.make_tensor_type_proto(dtypes.to_onnx(t.dtype), shape)


def function_body(node: Node, input_types: list) -> onnx.FunctionProto | None:
    """The node's function body for its inputs (ops.Tensor: dtype, shape, and the value where known at compile
    time; None for an absent input), or None when the operator has none at the node's opset."""
    from sofie_soa.compiler.folding import _plain_attrs
    from sofie_soa.compiler.bodies import BODIES
    schema = _schema(node)
    if schema is None:
        return None
    if node.op_type in BODIES:
        return BODIES[node.op_type](node, input_types)
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= node.opset]
    plain = [v for v in schema.function_opset_versions if v <= node.opset]
    try:
        if dependent:
            proto = helper.make_node(node.op_type, node.inputs, node.outputs, **_plain_attrs(node))
            body = schema.get_context_dependent_function_with_opset_version(
                max(dependent), proto.SerializeToString(), [_type_proto(t).SerializeToString() for t in input_types])
        elif plain:
            body = schema.get_function_with_opset_version(max(plain))
        else:
            return None
    except Exception:  # noqa: BLE001 — no body for these input types
        return None
    function = onnx.FunctionProto.FromString(body)
    return function if function.node else None


def expand(node: Node, input_types: list, fresh) -> list[Node] | None:
    """The nodes of `node`'s function body wired to its inputs and outputs, or None. `fresh(base)` makes a tensor
    name unused in the graph."""
    from sofie_soa.compiler.frontend import _attribute
    function = function_body(node, input_types)
    if function is None:
        return None
    schema = _schema(node)
    opset = next((o.version for o in function.opset_import if o.domain in ("", "ai.onnx")), node.opset)
    names = {formal: node.inputs[i] if i < len(node.inputs) else "" for i, formal in enumerate(function.input)}
    names.update({formal: actual for formal, actual in zip(function.output, node.outputs) if actual})
    defaults = {a.name: helper.get_attribute_value(a) for a in function.attribute_proto}
    for name, attr in schema.attributes.items():
        if attr.default_value.name:
            defaults.setdefault(name, helper.get_attribute_value(attr.default_value))
    base = node.name or node.outputs[0]

    def rename(name: str) -> str:
        if not name:
            return ""
        if name not in names:
            names[name] = fresh(f"{base}/{name}")
        return names[name]

    nodes = []
    for body in function.node:
        if body.domain not in ("", "ai.onnx"):
            return None
        attrs = {}
        for a in body.attribute:
            if a.ref_attr_name:
                if a.ref_attr_name in node.attrs:
                    attrs[a.name] = node.attrs[a.ref_attr_name]
                elif a.ref_attr_name in defaults:
                    attrs[a.name] = _plain_value(defaults[a.ref_attr_name])
            elif a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                return None
            else:
                attrs[a.name] = _attribute(a, body, opset, node.describe())
        nodes.append(Node(body.op_type, [rename(i) for i in body.input], [rename(o) for o in body.output], attrs,
                          f"{base}/{body.name or body.op_type}", opset))
    return nodes


def _plain_value(value):
    import numpy as np
    if isinstance(value, onnx.TensorProto):
        return np.asarray(onnx.numpy_helper.to_array(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
