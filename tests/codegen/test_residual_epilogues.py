"""Residual-add fusion (codegen/residual_epilogues.py): ReLU(h + Linear(ReLU(Linear(h)))) blocks become one dense
launch each on the CPU plan; results match onnxruntime at row counts that take every DenseKernel path (row by row,
one vector, full tiles, a partial last tile), with row-major and SoA outputs; where the pattern does not hold
(the sum also a graph output, a skip that is a graph input) nothing is fused and results still match."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many, generate

SIZES = [1, 3, 7, 16, 33, 100]


def _blocks(width=24, blocks=2, sum_output=False, skip_input=False, seed=0):
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def linear(name, src, k, n):
        inits.extend([numpy_helper.from_array((rng.normal(size=(n, k)) / np.sqrt(k)).astype(np.float32), name + "_w"),
                      numpy_helper.from_array(rng.normal(scale=0.1, size=n).astype(np.float32), name + "_b")])
        nodes.append(helper.make_node("Gemm", [src, name + "_w", name + "_b"], [name], transB=1))
    linear("in", "x", 5, width)
    nodes.append(helper.make_node("Relu", ["in"], ["h0"]))
    for i in range(blocks):
        linear(f"a{i}", f"h{i}", width, width)
        nodes.append(helper.make_node("Relu", [f"a{i}"], [f"ra{i}"]))
        linear(f"b{i}", f"ra{i}", width, width)
        skip = "x2" if skip_input and i == 0 else f"h{i}"
        nodes.append(helper.make_node("Add", [skip, f"b{i}"], [f"s{i}"]))
        nodes.append(helper.make_node("Relu", [f"s{i}"], [f"h{i + 1}"]))
    linear("out", f"h{blocks}", width, 3)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 5])]
    if skip_input:
        inputs.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", width]))
    outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3])]
    if sum_output:
        outputs.append(helper.make_tensor_value_info("s0", TensorProto.FLOAT, ["N", width]))
    graph = helper.make_graph(nodes, "blocks", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _cpu_launches(model) -> list:
    plan = generate(model, "blocks").plans["cpu"]
    return [launch.kernel for launch in plan.launches]


def test_each_residual_block_is_one_dense_launch():
    assert _cpu_launches(_blocks()) == ["dense", "dense", "dense", "dense"]   # in, two blocks, out
    assert "map" in _cpu_launches(_blocks(sum_output=True))                   # the sum is read outside
    assert "map" in _cpu_launches(_blocks(skip_input=True))                   # the skip is the caller's memory


def test_fused_blocks_match_onnxruntime():
    models = [_blocks(), _blocks(sum_output=True), _blocks(skip_input=True), _blocks(width=40, blocks=3, seed=1)]
    queue = ss.Queue("cpu_serial")
    rng = np.random.default_rng(2)
    for model, compiled in zip(models, compile_many(models, "cpu_serial")):
        reference = ort.InferenceSession(model.SerializeToString())
        for n in SIZES:
            feeds = {i.name: rng.standard_normal([n, *i.shape[1:]]).astype(np.float32) for i in reference.get_inputs()}
            want = reference.run(None, feeds)
            got = compiled.infer(feeds if len(feeds) > 1 else feeds["x"], queue)
            got = got if isinstance(got, dict) else {"out": got}
            for meta, value in zip(reference.get_outputs(), want):
                np.testing.assert_allclose(got[meta.name], value, rtol=1e-5, atol=1e-5, err_msg=f"n = {n}")


def test_fused_blocks_write_soa_columns_like_row_major_arrays():
    """The last layer's row-major store (transposed in registers) and the column store agree bitwise."""
    model = _blocks()
    compiled = ss.compile(model, "cpu_serial", name="blocks_soa")
    queue = ss.Queue("cpu_serial")
    layout = ss.Layout([ss.eigen_column("x", "float32", (5, 1)), ss.eigen_column("out", "float32", (3, 1))])
    for n in SIZES:
        soa = ss.SoA.allocate(layout, n)
        x = np.random.default_rng(n).standard_normal((n, 5)).astype(np.float32)
        np.from_dlpack(soa.tensor(["x"]))[...] = x
        compiled.infer(soa.tensor(["x"]), queue, out=soa.tensor(["out"]))
        rows = compiled.infer(x, queue)
        assert np.ascontiguousarray(np.from_dlpack(soa.tensor(["out"]))).tobytes() == rows.tobytes()
