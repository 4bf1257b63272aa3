"""sofie_soa.check and `python -m sofie_soa check`: every node that keeps a model from compiling, at once, with
its reason; nothing built."""

import subprocess
import sys

import onnx
from onnx import TensorProto, helper

import sofie_soa as ss


def _model() -> onnx.ModelProto:
    """Three independent problems (Unique and Det unsupported, a Transpose perm of the wrong length) and one node
    computed from an unsupported one (not reported: its input has no type)."""
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="ok"),
             helper.make_node("Unique", ["a"], ["v"], name="unique"),
             helper.make_node("Relu", ["v"], ["b"], name="after_unique"),
             helper.make_node("Det", ["x3"], ["d"], name="det"),
             helper.make_node("Transpose", ["a"], ["t"], perm=[0, 2], name="bad_perm"),
             helper.make_node("Add", ["b", "t"], ["y"], name="sum")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
                                           helper.make_tensor_value_info("x3", TensorProto.FLOAT, ["N", 3, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4]),
                               helper.make_tensor_value_info("d", TensorProto.FLOAT, ["N"])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_check_lists_every_independent_problem_with_node_op_and_reason():
    problems = ss.check(_model())
    assert [(p.node, p.op_type, p.unsupported) for p in problems] == [
        ("unique", "Unique", True), ("det", "Det", True), ("bad_perm", "Transpose", False)]
    assert "operator Unique (opset 17) is not supported" in problems[0].message
    assert "perm [0, 2] is not a permutation of the 2 axes of 'a'" in problems[2].message


def test_check_of_a_model_that_compiles_is_empty_and_problems_of_the_model_itself_are_reported():
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    assert ss.check(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])) == []
    graph.input[0].type.tensor_type.elem_type = TensorProto.STRING
    (problem,) = ss.check(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    assert problem.node == "" and "STRING" in problem.message


def test_check_command_prints_problems_and_exits_1(tmp_path):
    onnx.save(_model(), tmp_path / "bad.onnx")
    run = subprocess.run([sys.executable, "-m", "sofie_soa", "check", str(tmp_path / "bad.onnx")],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.count("not supported") == 2 and run.stdout.strip().endswith("3 problem(s)")
