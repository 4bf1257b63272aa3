"""Malformed models that pass the ONNX checker are refused at compile time with a ModelError naming the node
(issue 13, findings 5, 6 and 10), before any code is generated; nothing is folded that is dead or too large."""

import time
import tracemalloc

import numpy as np
import pytest
from onnx import TensorProto, checker, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import generate


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
                              list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    checker.check_model(m)
    return m.SerializeToString()


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


CASES = {
    "reshape element count": (
        model([helper.make_node("Reshape", ["x", "s"], ["y"], name="bad_reshape")], [("x", ["N", 6])],
              [("y", ["N", 7])], [ints("s", [0, 7])]), "bad_reshape", "element"),
    "concat non-axis dimensions": (
        model([helper.make_node("Concat", ["x", "z"], ["y"], axis=1, name="bad_concat")],
              [("x", ["N", 2, 3]), ("z", ["N", 2, 4])], [("y", ["N", 4, 3])]), "bad_concat", "concatenate"),
    "transpose perm too short": (
        model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2], name="bad_perm")], [("x", ["N", 2, 3])],
              [("y", ["N", 3, 2])]), "bad_perm", "perm"),
    "transpose perm repeats an axis": (
        model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 1, 1], name="dup_perm")], [("x", ["N", 2, 3])],
              [("y", ["N", 2, 2])]), "dup_perm", "perm"),
    "transpose perm out of range": (
        model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 5], name="far_perm")], [("x", ["N", 2, 3])],
              [("y", ["N", 3, 2])]), "far_perm", "perm"),
    "reshape to a dimension that is not a multiple of N": (
        model([helper.make_node("Reshape", ["x", "s"], ["y"], name="n_and_a_half")], [("x", ["N", 6])],
              [("y", [4, "M"])], [ints("s", [4, -1])]), "n_and_a_half", ""),
    "matmul inner dimensions": (
        model([helper.make_node("MatMul", ["x", "w"], ["y"], name="bad_matmul")], [("x", ["N", 3])],
              [("y", ["N", 2])], [numpy_helper.from_array(np.ones((4, 2), np.float32), "w")]), "bad_matmul", ""),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_shapes_are_refused_naming_the_node(case):
    data, node, word = CASES[case]
    with pytest.raises(ss.ModelError, match=node) as err:
        generate(data, "malformed")
    assert word in str(err.value)


def test_a_huge_constant_of_shape_is_neither_folded_when_dead_nor_when_used():
    """ConstantOfShape([30000, 30000]) (3.35 GiB as float32): dead, it is dropped without being evaluated; used,
    folding it is refused beyond the size limit (SOFIE_SOA_FOLD_LIMIT) — in either case in well under a second
    and without allocating it."""
    value = helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])
    big = [helper.make_node("ConstantOfShape", ["shape"], ["big"], value=value, name="huge")]
    dead = model(big + [helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", 2])], [("y", ["N", 2])],
                 [ints("shape", [30000, 30000])])
    used = model(big + [helper.make_node("Slice", ["big", "zero", "two", "one"], ["s"]),
                        helper.make_node("Add", ["x", "s"], ["y"])], [("x", ["N", 2])], [("y", ["N", 2])],
                 [ints("shape", [30000, 30000]), ints("zero", [0]), ints("two", [2]), ints("one", [1])])
    tracemalloc.start()
    start = time.perf_counter()
    generate(dead, "dead")
    with pytest.raises(ss.ModelError, match="huge"):
        generate(used, "used")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 << 20, f"{peak} bytes allocated"
    assert time.perf_counter() - start < 30


def test_seventeen_inputs_and_rank_seven_broadcasts_compile():
    """Limits are checked when the model is loaded; within them a model compiles (finding 10: 17 inputs and a
    rank-7 broadcast used to compile and then fail at infer)."""
    names = [f"x{k}" for k in range(17)]
    nodes = [helper.make_node("Sum", names, ["s"]),
             helper.make_node("Reshape", ["s", "shape"], ["r"]),
             helper.make_node("Add", ["r", "b"], ["y"])]
    data = model(nodes, [(n, ["N", 4]) for n in names], [("y", ["N", 1, 2, 1, 2, 1, 3])],
                 [ints("shape", [-1, 1, 2, 1, 2, 1, 1]), numpy_helper.from_array(np.ones((1, 1, 1, 1, 1, 1, 3),
                                                                                           np.float32), "b")])
    plans = generate(data, "wide").plans["cpu"]
    assert len(plans.inputs) == 17 and len(plans.outputs[0].shape) == 7


def test_batch_normalization_on_a_rank_3_intermediate_compiles():
    scale = numpy_helper.from_array(np.ones(2, np.float32), "scale")
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]),
             helper.make_node("BatchNormalization", ["r", "scale", "scale", "scale", "scale"], ["y"])]
    generate(model(nodes, [("x", ["N", 6])], [("y", ["N", 2, 3])], [ints("shape", [0, 2, 3]), scale]), "bn3")
