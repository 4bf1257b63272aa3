"""Compile-time folding (compiler/folding.py): a CastLike of a constant folds though its target is only known at
run time (ONNX Attention's body pads with CastLike(-inf, Q)); an extent c·N compared with a negative constant folds
to False (exporters' Where(Equal(shape, -1), ...) before Expand, as in weaver-core's ParT), while c·N == 3 stays
unknown (it depends on N)."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from sofie_soa.compiler import frontend
from sofie_soa.compiler.folding import _equal
from sofie_soa.compiler.passes import infer
from sofie_soa.compiler.symbolic import NotExpressible, SymN


def _graph(nodes, inputs, outputs, inits=()):
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(inits)),
                              opset_imports=[helper.make_opsetid("", 21)])
    graph = frontend.to_ir(model)
    infer.run(graph)
    return graph


def test_cast_like_of_a_constant_folds_whatever_its_target():
    graph = _graph([helper.make_node("CastLike", ["minus_inf", "x"], ["fill"]),
                    helper.make_node("Pad", ["x", "pads", "fill"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["N", 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["N", 5])],
                   [numpy_helper.from_array(np.array(-np.inf), "minus_inf"),
                    numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64), "pads")])
    assert graph.constants["fill"].dtype == np.float16 and np.isneginf(graph.constants["fill"])
    assert [n.op_type for n in graph.nodes] == ["Pad"]


def test_extents_compared_with_negative_constants_fold():
    graph = _graph([helper.make_node("Shape", ["x"], ["shape"]),
                    helper.make_node("Equal", ["shape", "minus_one"], ["is_any"]),
                    helper.make_node("Where", ["is_any", "ones", "shape"], ["target"]),
                    helper.make_node("Expand", ["x", "target"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
                   [numpy_helper.from_array(np.array([-1, -1], np.int64), "minus_one"),
                    numpy_helper.from_array(np.array([1, 1], np.int64), "ones")])
    assert graph.constants["is_any"].tolist() == [False, False]
    assert list(graph.constants["target"]) == [SymN(1), 4]
    assert _equal(SymN(2), -3) is False
    with pytest.raises(NotExpressible, match="depends on N"):
        _equal(SymN(1), 3)
