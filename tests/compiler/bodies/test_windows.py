"""Window geometry (compiler/bodies/windows.py) against onnx's own shape inference for Conv, MaxPool and
AveragePool over random attributes, and AveragePool's divisors against onnx's reference evaluator."""

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from sofie_soa.compiler.bodies.windows import window
from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import Node


@st.composite
def geometries(draw):
    rank = draw(st.integers(1, 3))
    spatial = draw(st.lists(st.integers(1, 9), min_size=rank, max_size=rank))
    kernel = draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    attrs = {"strides": draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)),
             "dilations": draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank))}
    auto_pad = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    if auto_pad == "NOTSET":
        attrs["pads"] = draw(st.lists(st.integers(0, 2), min_size=2 * rank, max_size=2 * rank))
    else:
        attrs["auto_pad"] = auto_pad
    return spatial, kernel, attrs, draw(st.booleans())


def _inferred(op: str, spatial, kernel, attrs):
    extra = {} if op == "Conv" else {"kernel_shape": kernel}
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, *spatial])]
    if op == "Conv":
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, *kernel]))
    node = helper.make_node(op, [i.name for i in inputs], ["y"], **attrs, **extra)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    shape = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph.output[0].type.tensor_type.shape
    return tuple(d.dim_value for d in shape.dim[2:])


@settings(max_examples=150, deadline=None)
@given(geometries())
def test_output_extents_match_onnx_shape_inference(geometry):
    spatial, kernel, attrs, ceil_mode = geometry
    for op in ("Conv", "MaxPool"):
        pool_attrs = dict(attrs, ceil_mode=int(ceil_mode)) if op == "MaxPool" else attrs
        node = Node(op, ["x"], ["y"], attrs=pool_attrs, name="n")
        try:
            win = window(node, tuple(spatial), tuple(kernel), ceil_mode=ceil_mode and op == "MaxPool")
        except ModelError as err:       # refused only where a dilated kernel exceeds an axis and its pads
            extents = [(k - 1) * d + 1 for k, d in zip(kernel, attrs["dilations"])]
            pads = attrs.get("pads", [0] * 2 * len(spatial))
            assert "does not fit" in str(err) and any(
                e > D + pads[i] + pads[i + len(spatial)] for i, (e, D) in enumerate(zip(extents, spatial)))
            continue
        assert win.output == _inferred(op, spatial, kernel, pool_attrs), (op, spatial, kernel, pool_attrs)
        assert win.gather_indices().max() < np.prod(win.padded)


@settings(max_examples=60, deadline=None)
@given(geometries())
def test_average_pool_divisors_match_the_reference_evaluator(geometry):
    spatial, kernel, attrs, ceil_mode = geometry
    if "auto_pad" in attrs:     # the reference refuses ceil_mode with auto_pad and fails on SAME with strides
        return
    ceil_mode = False           # ... and indexes past its arrays under ceil_mode (conformance cases cover it)
    attrs = dict(attrs, ceil_mode=0, count_include_pad=1)
    node = Node("AveragePool", ["x"], ["y"], attrs=attrs, name="n")
    try:
        win = window(node, tuple(spatial), tuple(kernel), ceil_mode=ceil_mode)
    except ModelError:
        return
    ref = ReferenceEvaluator(helper.make_model(helper.make_graph(
        [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=kernel, **attrs)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, *spatial])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid("", 22)]))
    ones = ref.run(None, {"x": np.ones([1, 1, *spatial], np.float32)})[0].reshape(-1)
    # with count_include_pad, the mean of ones is (cells inside the input) / (cells inside input and pads)
    np.testing.assert_allclose(ones * win.counts(True), win.counts(False), rtol=1e-6)


def test_bad_attributes_are_refused_naming_the_node():
    with pytest.raises(ModelError, match=r"node 'c' \(Conv\): strides \[1\] has 1 values for 2 spatial axes"):
        window(Node("Conv", ["x"], ["y"], attrs={"strides": [1]}, name="c"), (4, 4), (3, 3))
    with pytest.raises(ModelError, match="does not fit spatial axis 0"):
        window(Node("Conv", ["x"], ["y"], attrs={}, name="c"), (2, 4), (3, 3))


def test_window_tables_beyond_the_limit_are_refused_before_they_are_built():
    with pytest.raises(ModelError, match=r"window table of 1073741824 entries, above 16777216"):
        window(Node("MaxPool", ["x"], ["y"], attrs={}, name="p"), (1 << 15, 1 << 15), (1, 1))
