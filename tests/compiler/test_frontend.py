"""Model loading errors and unsupported operators are reported with the file, node, op type and opset."""

import onnx
import pytest
import numpy as np
from onnx import TensorProto, helper, numpy_helper

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
    graph = helper.make_graph([helper.make_node("NonZero", ["x"], ["y"], name="my_nonzero")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, [2, "K"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ss.UnsupportedOperator,
                       match=r"node 'my_nonzero' \(NonZero\): operator NonZero \(opset 17\) is not supported"):
        generate(model)


def test_unsupported_element_types_are_refused_naming_node_and_type():
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], name="to_bf16", to=TensorProto.BFLOAT16)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, ["N", 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    with pytest.raises(ss.ModelError, match="node 'to_bf16' \\(Cast\\): Cast of 'x' has element type BFLOAT16"):
        generate(model)
    graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT8E4M3FN
    with pytest.raises(ss.ModelError, match="input 'x' has element type FLOAT8E4M3FN"):
        generate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]))


def _relu_model(**graph_kwargs):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], **graph_kwargs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _with_external_weight(tmp_path, location):
    """A model whose initializer lives in the external file `location` (relative to tmp_path/model)."""
    import numpy as np
    from onnx import external_data_helper, numpy_helper
    (tmp_path / "model").mkdir(exist_ok=True)
    weight = numpy_helper.from_array(np.full((4,), 7.0, np.float32), "b")
    model = _relu_model(initializer=[weight])
    model.graph.node[0].input[0] = "x"
    model.graph.node.append(helper.make_node("Add", ["y", "b"], ["z"]))
    model.graph.output[0].name = "z"
    external_data_helper.set_external_data(model.graph.initializer[0], location)
    model.graph.initializer[0].ClearField("raw_data")
    model.graph.initializer[0].ClearField("float_data")
    return model


def test_external_data_is_read_only_from_the_model_files_own_folder(tmp_path, monkeypatch):
    """Security finding: a model given as bytes or a ModelProto with an external-data location read that file
    from the current directory into the weights."""
    from sofie_soa.compiler.frontend import load_model
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x00\x00\xe0\x40" * 4)                     # four 7.0f, readable from the cwd
    monkeypatch.chdir(tmp_path)
    model = _with_external_weight(tmp_path, "secret.bin")
    for given in (model, model.SerializeToString()):
        with pytest.raises(ss.ModelError, match="keeps initializer 'b' in an external file"):
            load_model(given)
    for location in ("../secret.bin", str(secret)):                 # outside the model's folder
        path = tmp_path / "model" / "escape.onnx"
        onnx.save(_with_external_weight(tmp_path, location), path)
        with pytest.raises(ss.ModelError, match="outside the model file's folder"):
            load_model(path)
    (tmp_path / "model" / "weights.bin").write_bytes(secret.read_bytes())
    onnx.save(_with_external_weight(tmp_path, "weights.bin"), tmp_path / "model" / "ok.onnx")
    loaded = load_model(tmp_path / "model" / "ok.onnx")            # inside its own folder: read
    assert onnx.numpy_helper.to_array(loaded.graph.initializer[0]).tolist() == [7.0] * 4


def test_custom_domains_new_opsets_and_duplicate_outputs_are_refused():
    evil = _relu_model()
    evil.graph.node[0].domain = "com.evil"
    evil.opset_import.append(helper.make_opsetid("com.evil", 1))
    with pytest.raises(ss.UnsupportedOperator, match="node 'r' \\(Relu\\) is in domain 'com.evil'"):
        generate(evil)
    future = _relu_model()
    future.opset_import[0].version = 30
    with pytest.raises(ss.ModelError, match="imports opset 30 .* defines opsets up to"):
        generate(future)
    twice = _relu_model()
    twice.graph.output.append(twice.graph.output[0])
    with pytest.raises(ss.ModelError, match="graph output 'y' twice"):
        generate(twice)


def test_models_beyond_the_documented_limits_are_refused_when_loaded():
    from sofie_soa.compiler import frontend
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"]) for i in range(frontend.MAX_NODES + 1)]
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("t0", TensorProto.FLOAT, ["N", 1])],
                              [helper.make_tensor_value_info(f"t{len(nodes)}", TensorProto.FLOAT, ["N", 1])])
    with pytest.raises(ss.ModelError, match=f"has {frontend.MAX_NODES + 1} nodes; the compiler accepts at most"):
        generate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    many = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, ["N", 1]) for i in range(65)]
    graph = helper.make_graph([helper.make_node("Sum", [v.name for v in many], ["y"])], "wide", many,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])])
    with pytest.raises(ss.ModelError, match="has 65 graph inputs; at most 64"):
        generate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))


def test_initializers_listed_as_graph_inputs_do_not_count_toward_the_input_limit():
    """IR < 4 models (the onnx package's light_* models among them) list every initializer in graph.input."""
    weights = [numpy_helper.from_array(np.full((1,), float(i), np.float32), f"w{i}") for i in range(100)]
    nodes = [helper.make_node("Add", ["x" if i == 0 else f"t{i}", f"w{i}"], [f"t{i + 1}"]) for i in range(100)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1])]
    inputs += [helper.make_tensor_value_info(w.name, TensorProto.FLOAT, [1]) for w in weights]
    graph = helper.make_graph(nodes, "old", inputs, [helper.make_tensor_value_info("t100", TensorProto.FLOAT, ["N", 1])],
                              initializer=weights)
    assert "class" in generate(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])).header
