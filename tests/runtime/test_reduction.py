"""The reduction family end to end (compiler/ops/reduce.py, kernels/reduce.hpp, kernels/cumulative.hpp): every
Reduce* operator over several axis sets with and without keepdims, at the opsets that take axes as an attribute
and as an input, in float32/float64/float16 and integers, ArgMax/ArgMin with ties and select_last_index,
CumSum/CumProd in every exclusive/reverse combination, and models over the element count N (the DeepSets masked
sum over particles, reductions and scans along N itself) at several n. References: onnxruntime, and the ONNX
reference evaluator where onnxruntime differs from the specification (NaN through ReduceMax/Min and ArgMax,
which onnxruntime drops depending on position) or lacks the operator (CumProd-26). All models are built in one
library (compile_many)."""

from __future__ import annotations

import functools

import numpy as np
import onnxruntime as ort
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many, generate

REDUCE = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
          "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]
ONNX = {np.dtype(k): v for k, v in [("float32", TensorProto.FLOAT), ("float64", TensorProto.DOUBLE),
                                    ("float16", TensorProto.FLOAT16), ("int32", TensorProto.INT32),
                                    ("int64", TensorProto.INT64), ("uint8", TensorProto.UINT8),
                                    ("int8", TensorProto.INT8), ("bool", TensorProto.BOOL)]}
AXES = [[1], [0, 2], [-1], [2, 0], None, "noop"]        # None: all axes; "noop": empty with noop_with_empty_axes


def _model(nodes, inputs, outputs, opset, initializers=()):
    """The model's bytes, its outputs typed by ONNX shape inference."""
    graph = helper.make_graph(nodes, "reduction", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(model).graph.value_info}
    for o in outputs:   # an output whose shape inference cannot know (a refused model's) is declared [1]
        known = o in inferred and inferred[o].type.tensor_type.HasField("shape")
        model.graph.output.append(inferred[o] if known else helper.make_tensor_value_info(
            o, inferred[o].type.tensor_type.elem_type if o in inferred else inputs[0][1], [1]))
    return model.SerializeToString()


def _reduce_nodes(ops, opset, axes_input_since):
    """One node per (operator, axes, keepdims) on input x; axes as an int64 initializer where the opset takes them
    as an input, else as the attribute."""
    nodes, outputs, inits = [], [], []
    for op in ops:
        since = 13 if op == "ReduceSum" else axes_input_since
        for k, axes in enumerate(AXES):
            if axes == "noop" and opset < since:
                continue
            for keepdims in (0, 1):
                out = f"{op}_{k}_{keepdims}"
                attrs = {"keepdims": keepdims}
                inputs = ["x"]
                if axes == "noop":
                    attrs["noop_with_empty_axes"] = 1
                    inputs.append("empty_axes")
                elif axes is not None and opset >= since:
                    inputs.append(f"axes_{k}")
                elif axes is not None:
                    attrs["axes"] = axes
                nodes.append(helper.make_node(op, inputs, [out], **attrs))
                outputs.append(out)
    used = {i for n in nodes for i in n.input}
    for k, axes in enumerate(AXES):
        if f"axes_{k}" in used:
            inits.append(numpy_helper.from_array(np.array(axes, np.int64), f"axes_{k}"))
    if "empty_axes" in used:
        inits.append(numpy_helper.from_array(np.zeros(0, np.int64), "empty_axes"))
    return nodes, outputs, inits


def _data(dtype, shape=(3, 4, 5), seed=0, positive=False):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        x = rng.uniform(0.1 if positive else -2, 2, size=shape)
    elif dtype == "bool":
        x = rng.integers(0, 2, size=shape) > 0
    elif np.dtype(dtype).kind == "u":
        x = rng.integers(0, 4, size=shape)
    else:
        x = rng.integers(1 if positive else -3, 4, size=shape)
    return x.astype(dtype)


def _fixed(name, ops, dtype, opset, axes_input_since=18, positive=False, reference="ort"):
    """Cases of `ops` on one input, five operators a model (a graph has at most 64 outputs)."""
    x = _data(dtype, positive=positive)
    cases = []
    for k in range(0, len(ops), 5):
        nodes, outputs, inits = _reduce_nodes(ops[k:k + 5], opset, axes_input_since)
        cases.append((f"{name}_{k // 5}", _model(nodes, [("x", ONNX[np.dtype(dtype)], x.shape)], outputs, opset,
                                                 inits), {"x": x}, reference))
    return cases


def _arg_model(dtype, opset):
    x = _data(dtype, (4, 3, 5), seed=1)
    x[0] = x[1]                          # ties along axis 0
    nodes, outputs = [], []
    for op in ("ArgMax", "ArgMin"):
        for axis in (0, 1, -1):
            for keepdims in (0, 1):
                for last in ((0, 1) if opset >= 12 else (None,)):
                    out = f"{op}_{axis}_{keepdims}_{last}"
                    attrs = {"axis": axis, "keepdims": keepdims}
                    if last is not None:
                        attrs["select_last_index"] = last
                    nodes.append(helper.make_node(op, ["x"], [out], **attrs))
                    outputs.append(out)
    return f"arg_{dtype}_{opset}", _model(nodes, [("x", ONNX[x.dtype], x.shape)], outputs, opset), {"x": x}, "ort"


def _cumulative_model(op, dtype, opset, reference):
    x = _data(dtype, (3, 4, 2), seed=2, positive=op == "CumProd")
    nodes, outputs, inits = [], [], []
    for k, (axis, axis_dtype, rank) in enumerate([(0, np.int64, 0), (1, np.int32, 1), (-1, np.int64, 1)]):
        rank = 0 if reference == "onnx" else rank   # the reference takes the 0-d axis of the spec only
        inits.append(numpy_helper.from_array(np.array(axis, axis_dtype).reshape((1,) * rank), f"axis_{k}"))
        for exclusive in (0, 1):
            for reverse in (0, 1):
                out = f"{op}_{k}_{exclusive}_{reverse}"
                nodes.append(helper.make_node(op, ["x", f"axis_{k}"], [out], exclusive=exclusive, reverse=reverse))
                outputs.append(out)
    return (f"{op}_{dtype}_{opset}", _model(nodes, [("x", ONNX[x.dtype], x.shape)], outputs, opset, inits),
            {"x": x}, reference)


def _nan_model():
    x = _data("float32", seed=3)
    x[0, 1, 2] = np.nan
    x[2, 3, 0] = np.nan
    x[1, 2, 4] = np.nan
    nodes, outputs, inits = _reduce_nodes(["ReduceMax", "ReduceMin"], 20, 18)
    for op in ("ArgMax", "ArgMin"):
        for axis in (0, 1, 2):
            for last in (0, 1):
                nodes.append(helper.make_node(op, ["x"], [f"{op}_{axis}_{last}"], axis=axis, select_last_index=last))
                outputs.append(f"{op}_{axis}_{last}")
    return "nan", _model(nodes, [("x", TensorProto.FLOAT, x.shape)], outputs, 20, inits), {"x": x}, "onnx"


def _deepsets_model():
    """x [N, P, F], mask [N, P, 1] -> masked sum over P [N, F], max over F [N, P, 1], argmax over P [N, F], cumsum
    over P; and along N itself: sum over N [1, P, F], mean over N and F [P], cumsum along N, argmin over N [P, F]."""
    nodes = [helper.make_node("Mul", ["x", "mask"], ["masked"]),
             helper.make_node("ReduceSum", ["masked", "axis_p"], ["pooled"], keepdims=0),
             helper.make_node("ReduceMax", ["x"], ["peak"], axes=[2], keepdims=1),
             helper.make_node("ArgMax", ["x"], ["best"], axis=1, keepdims=0),
             helper.make_node("CumSum", ["x", "axis_p"], ["running"]),
             helper.make_node("ReduceSum", ["x", "axis_n"], ["total"], keepdims=1),
             helper.make_node("ReduceMean", ["x"], ["mean"], axes=[0, 2], keepdims=0),
             helper.make_node("CumSum", ["x", "axis_n"], ["along_n"], reverse=1),
             helper.make_node("ArgMin", ["x"], ["lowest"], axis=0, keepdims=0, select_last_index=1)]
    inits = [numpy_helper.from_array(np.array([1], np.int64), "axis_p"),
             numpy_helper.from_array(np.array([0], np.int64), "axis_n")]
    # ReduceSum-13 takes axes as an input, ReduceMax/Mean-13 as the attribute
    return _model(nodes, [("x", TensorProto.FLOAT, ["N", 6, 3]), ("mask", TensorProto.FLOAT, ["N", 6, 1])],
                  ["pooled", "peak", "best", "running", "total", "mean", "along_n", "lowest"], 13, inits)


def _cases():
    integer_ops = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                   "ReduceSumSquare"]
    cases = [*_fixed("float32_18", REDUCE, "float32", 18, positive=True),
             *_fixed("float32_13", REDUCE, "float32", 13, positive=True),
             *_fixed("float32_11", REDUCE, "float32", 11, positive=True),
             *_fixed("float64_18", REDUCE, "float64", 18, positive=True),
             *_fixed("float16_18", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2", "ReduceLogSumExp"],
                     "float16", 18, positive=True),
             *_fixed("float32_signed_18", integer_ops, "float32", 18),
             *_fixed("int32_18", integer_ops, "int32", 18),
             *_fixed("int64_13", [op for op in integer_ops if op != "ReduceL2"], "int64", 13),
             *_fixed("int32_log_18", ["ReduceLogSum"], "int32", 18, positive=True),
             *_fixed("uint8_20", ["ReduceMax", "ReduceMin"], "uint8", 20),
             *_fixed("int8_20", ["ReduceMax", "ReduceMin"], "int8", 20),
             *_fixed("bool_20", ["ReduceMax", "ReduceMin"], "bool", 20, reference="onnx"),
             _arg_model("float32", 13), _arg_model("int32", 13), _arg_model("float16", 13),
             _arg_model("float32", 11),
             _cumulative_model("CumSum", "float32", 14, "ort"), _cumulative_model("CumSum", "int32", 14, "ort"),
             _cumulative_model("CumSum", "int64", 11, "ort"), _cumulative_model("CumSum", "float64", 14, "ort"),
             _cumulative_model("CumProd", "float32", 26, "onnx"), _cumulative_model("CumProd", "int64", 26, "onnx"),
             _nan_model()]
    return cases


@functools.lru_cache(maxsize=None)
def _compiled():
    cases = _cases()
    models = compile_many([c[1] for c in cases] + [_deepsets_model()], "cpu_serial",
                          [c[0] for c in cases] + ["deepsets"])
    return dict(zip([c[0] for c in cases] + ["deepsets"], models)), {c[0]: c for c in cases}


def _expected(model_bytes, feeds, reference):
    if reference == "ort":
        session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(None, feeds)))
    evaluator = ReferenceEvaluator(model_bytes)
    return dict(zip(evaluator.output_names, evaluator.run(None, feeds)))


def _check(got, want, name):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
    if want.dtype.kind == "f":
        tol = 2e-3 if want.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


@pytest.mark.parametrize("case", [c[0] for c in _cases()])
def test_fixed_shape_models_match_the_reference(case):
    models, cases = _compiled()
    _, model_bytes, feeds, reference = cases[case]
    got = models[case].infer(feeds, ss.Queue("cpu_serial"))
    want = _expected(model_bytes, feeds, reference)
    assert set(got) == set(want)
    for name in want:
        _check(got[name], want[name], name)


def test_nan_propagates_through_max_min_and_arg_reductions():
    models, cases = _compiled()
    got = models["nan"].infer(cases["nan"][2], ss.Queue("cpu_serial"))
    assert np.isnan(got["ReduceMax_4_0"]) and np.isnan(got["ReduceMin_4_1"]).all()   # over all axes
    assert got["ArgMax_2_0"][0, 1, 0] == 2 and got["ArgMin_1_1"][2, 0, 0] == 3              # the NaN's index


@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_reductions_over_particles_and_along_n(n):
    models, _ = _compiled()
    rng = np.random.default_rng(n)
    feeds = {"x": rng.normal(size=(n, 6, 3)).astype(np.float32),
             "mask": (rng.uniform(size=(n, 6, 1)) > 0.3).astype(np.float32)}
    got = models["deepsets"].infer(feeds, ss.Queue("cpu_serial"))
    if n == 0:   # onnxruntime's reductions of an empty set: 0 for the sum, NaN for the mean
        assert got["total"].shape == (1, 6, 3) and not got["total"].any()
        assert got["mean"].shape == (6,) and np.isnan(got["mean"]).all()
        assert got["pooled"].shape == (0, 3) and got["along_n"].shape == (0, 6, 3)
        assert got["lowest"].shape == (6, 3) and not got["lowest"].any()   # ONNX leaves it undefined: 0
        return
    want = _expected(_deepsets_model(), feeds, "ort")
    for name in want:
        _check(got[name], want[name], name)


def _refusal(nodes, inputs, outputs, opset, initializers=()):
    with pytest.raises(ss.ModelError) as err:
        generate(_model(nodes, inputs, outputs, opset, initializers), "refused")
    return str(err.value)


def test_refusals_name_the_node_and_the_reason():
    assert "axes ('a') must be known at compile time" in _refusal(
        [helper.make_node("ReduceSum", ["x", "a"], ["y"], name="sum")],
        [("x", TensorProto.FLOAT, [3, 4]), ("a", TensorProto.INT64, [1])], ["y"], 18)
    assert "ReduceLogSum takes" in _refusal(                       # integers left the schema at opset 28
        [helper.make_node("ReduceLogSum", ["x"], ["y"])], [("x", TensorProto.INT32, [3, 4])], ["y"], 28)
    assert "ReduceSum takes" in _refusal(                          # int8 is outside ReduceSum's constraint
        [helper.make_node("ReduceSum", ["x"], ["y"])], [("x", TensorProto.INT8, [3, 4])], ["y"], 13)
    assert "extent 0" in _refusal(
        [helper.make_node("ArgMax", ["x"], ["y"], axis=1)], [("x", TensorProto.FLOAT, [3, 0])], ["y"], 13)
    assert "repeat an axis" in _refusal(
        [helper.make_node("ReduceMax", ["x"], ["y"], axes=[1, -1])], [("x", TensorProto.FLOAT, [3, 4])], ["y"], 13)
    assert "must hold one value" in _refusal(
        [helper.make_node("CumSum", ["x", "axis"], ["y"])], [("x", TensorProto.FLOAT, [3, 4])], ["y"], 14,
        [numpy_helper.from_array(np.array([0, 1], np.int64), "axis")])
