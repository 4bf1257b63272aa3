"""The repository writer and the layout JSON (no server needed)."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import sofie_soa as ss
from conftest import FEATURES, LAYOUT, MAX_N, MODEL
from sofie_soa.serving import soa_layout
from sofie_soa.serving.repository import write_repository


def test_config_carries_onnx_names_dtypes_shapes_and_the_soa_form(repo):
    config = (repo / "track_classifier" / "config.pbtxt").read_text()
    assert 'backend: "python"' in config and f"max_batch_size: {MAX_N}" in config
    assert '{ name: "features" data_type: TYPE_FP32 dims: [ 8 ] optional: true }' in config
    assert '{ name: "score" data_type: TYPE_FP32 dims: [ 1 ] }' in config
    assert '{ name: "soa_buffer_bytes" data_type: TYPE_UINT8 dims: [ -1 ] optional: true allow_ragged_batch: true }' in config
    assert '{ name: "soa_n" data_type: TYPE_INT64 dims: [ 1 ] optional: true }' in config
    assert '{ name: "soa.score" data_type: TYPE_FP32 dims: [ -1 ] }' in config
    assert "instance_group [ { count: 2 kind: KIND_CPU } ]" in config
    assert "dynamic_batching { preferred_batch_size: [ 4096 ] max_queue_delay_microseconds: 100 }" in config
    version = repo / "track_classifier" / "1"
    assert (version / "model.onnx").read_bytes() == MODEL.read_bytes()
    assert "from sofie_soa.serving.triton_model import TritonPythonModel" in (version / "model.py").read_text()
    assert soa_layout.load(version / "soa_layout.json").layout == LAYOUT


def test_layout_json_round_trips_every_member_kind():
    b = soa_layout.binding(LAYOUT, {"features": FEATURES}, {"score": ["score"]})
    again = soa_layout.from_json(json.loads(json.dumps(b.to_json())))
    assert again.layout == LAYOUT and again.inputs == {"features": FEATURES} and again.outputs == {"score": ["score"]}
    assert again.output_features == [("score", "score", "float32")]


@pytest.mark.parametrize("data, words", [
    ({"members": [{"name": "x", "dtype": "float32"}], "inputs": {"features": ["y"]}, "outputs": {}}, ["'y'"]),
    ({"members": [{"name": "x", "dtype": "float32"}], "outputs": {}}, ["'inputs'"]),
    ({"members": [{"name": "x", "dtype": "float32", "kind": "tensor"}], "inputs": {}, "outputs": {}}, ["'tensor'"]),
    ({"members": [{"name": "s", "dtype": "float32", "kind": "scalar"}], "inputs": {}, "outputs": {"y": ["s"]}},
     ["'s'", "not a column"]),
])
def test_bad_layout_json_is_named(data, words):
    with pytest.raises(ValueError) as err:
        soa_layout.from_json(data)
    for word in words:
        assert word in str(err.value)


def test_feature_view_reads_eigen_coefficients_in_place():
    soa = ss.SoA.allocate(LAYOUT, 5)
    soa["covariance"][:, 3, 0] = np.arange(5)
    view = soa_layout.feature_view(soa, "covariance[3]")
    assert np.array_equal(view, np.arange(5)) and np.shares_memory(view, soa["covariance"])


def _fixed_model(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "fixed", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_unbatchable_models_and_bad_arguments_are_refused(tmp_path):
    _fixed_model(tmp_path / "fixed.onnx")
    with pytest.warns(ss.FixedBatchWarning), pytest.raises(ValueError, match=r"'x' has shape \[4, 3\]"):
        write_repository(tmp_path / "fixed.onnx", tmp_path / "repo")
    with pytest.raises(ValueError, match="model name"):
        write_repository(MODEL, tmp_path / "repo", name="no spaces")
    with pytest.raises(ValueError, match="max_batch_size 0"):
        write_repository(MODEL, tmp_path / "repo", max_batch_size=0)
    with pytest.raises(ValueError, match=r"preferred batch sizes \[20000\]"):
        write_repository(MODEL, tmp_path / "repo", preferred_batch_sizes=[20000])
    assert not (tmp_path / "repo").exists()
