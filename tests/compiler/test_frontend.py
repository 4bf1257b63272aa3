"""Model loading errors and unsupported operators are reported with the file, node, op type and opset."""

import onnx
import pytest
from onnx import TensorProto, helper

import sofie_soa as ss
from sofie_soa.runtime.model import generate


def test_corrupt_and_non_onnx_files(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf")
    with pytest.raises(ss.ModelError, match="bad.onnx"):
        ss.compile(bad)
    truncated = tmp_path / "empty.onnx"
    truncated.write_bytes(b"")
    with pytest.raises(ss.ModelError):
        ss.compile(truncated)


def test_unsupported_operator_names_node_op_and_opset():
    graph = helper.make_graph([helper.make_node("Erf", ["x"], ["y"], name="my_erf")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ss.UnsupportedOperator, match=r"node 'my_erf' \(Erf\): operator Erf \(opset 17\) is not supported"):
        generate(model)


def test_cast_to_integer_is_refused_with_its_node():
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], name="to_int", to=TensorProto.INT32)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.INT32, ["N", 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ss.UnsupportedOperator, match="node 'to_int' \\(Cast\\): Cast to ONNX type 6"):
        generate(model)
    onnx.checker.check_model(model)
