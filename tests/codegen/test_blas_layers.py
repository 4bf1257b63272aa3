"""The GPU plan's BLAS layers (codegen/blas_layers.py): the launches that large layers become, and (run on the CPU,
where runtime::gemm is the DenseKernel) that the GPU plan computes what onnxruntime does. The cuBLAS call itself
is compiled by tests/runtime/test_cuda.py and tests/test_cpp.py and checked on a GPU by cpp/tests/test_session_cuda.cu."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.codegen.emitter import emit_header
from sofie_soa.runtime.model import Generated, build_models, generate


def _layers_model() -> bytes:
    """x [N, 130] -> Gemm 160 (no bias) -> Relu -> Gemm 140 -> Tanh -> Gemm 150 = y1 (graph output) -> Gemm 128
    = y2. Each large layer takes another route: no bias with an activation, bias with one, bias writing a graph
    output, and a graph output read back as the next layer's input."""
    rng = np.random.default_rng(3)
    widths = [130, 160, 140, 150, 128]
    inits = [numpy_helper.from_array((rng.normal(size=(k, n)) / np.sqrt(k)).astype(np.float32), f"w{i}")
             for i, (k, n) in enumerate(zip(widths, widths[1:]))]
    inits += [numpy_helper.from_array(rng.normal(size=n).astype(np.float32), f"b{i}") for i, n in enumerate(widths[1:])]
    nodes = [helper.make_node("Gemm", ["x", "w0"], ["h0"]), helper.make_node("Relu", ["h0"], ["r0"]),
             helper.make_node("Gemm", ["r0", "w1", "b1"], ["h1"]), helper.make_node("Tanh", ["h1"], ["r1"]),
             helper.make_node("Gemm", ["r1", "w2", "b2"], ["y1"]),
             helper.make_node("Gemm", ["y1", "w3", "b3"], ["y2"])]
    graph = helper.make_graph(nodes, "layers", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 130])],
                              [helper.make_tensor_value_info("y1", TensorProto.FLOAT, ["N", 150]),
                               helper.make_tensor_value_info("y2", TensorProto.FLOAT, ["N", 128])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


def _mlp(widths) -> bytes:
    inits = [numpy_helper.from_array(np.ones((k, n), np.float32), f"w{i}") for i, (k, n) in
             enumerate(zip(widths, widths[1:]))]
    nodes = [helper.make_node("MatMul", ["x" if i == 0 else f"h{i - 1}", f"w{i}"], [f"h{i}" if i < len(inits) - 1
                              else "y"]) for i in range(len(inits))]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", widths[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", widths[-1]])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


def test_small_layers_stay_in_the_dense_kernel_and_the_header_has_one_plan():
    g = generate(_mlp([16, 32, 32, 1]))
    header, plans = g.header, g.plans
    assert [launch.kernel for launch in plans["gpu"].launches] == ["dense"]
    assert "is_gpu" not in header and "runtime::gemm" not in header


def test_large_layers_become_gather_gemm_bias_and_activation_on_gpus_only():
    g = generate(_layers_model())
    header, plans = g.header, g.plans
    assert [(launch.kernel, launch.args["op"].name if launch.kernel == "map" else "")
            for launch in plans["gpu"].launches] == [
        ("map", "Identity"), ("gemm", ""), ("map", "Relu"),     # gather x; 130 -> 160; Relu (no bias)
        ("gemm", ""), ("map", "Add"), ("map", "Tanh"),          # 160 -> 140; bias; Tanh
        ("gemm", ""), ("map", "Add"),                           # 140 -> 150; bias written into the graph output y1
        ("map", "Identity"), ("gemm", ""), ("map", "Add")]      # y1 gathered back; 150 -> 128; bias into y2
    assert [launch.kernel for launch in plans["cpu"].launches] == ["dense", "dense"]   # chained up to y1
    assert plans["cpu"].workspace == (0, 0) and plans["gpu"].workspace[0] > 0
    assert "if constexpr (compat::is_gpu<TAcc>())" in header and header.count("sofie_soa::runtime::gemm<TAcc") == 4


def test_the_gpu_plan_matches_onnxruntime_when_run_on_the_cpu():
    """The GPU plan emitted as the only plan and built for cpu_serial: gather (from float64, converting),
    runtime::gemm's DenseKernel fallback, bias and activation launches, all through the planned workspace."""
    model = _layers_model()
    g = generate(model, "gpu_plan")
    header = emit_header({"cpu": g.plans["gpu"]}, "gpu_plan", "gpu_plan")
    (session,) = build_models([Generated(header, {"cpu": g.plans["gpu"]}, g.namespace)], "cpu_serial", ["gpu_plan"])
    x = np.random.default_rng(0).normal(size=(77, 130))
    got = session.infer(x, ss.Queue("cpu_serial"))
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x.astype(np.float32)})
    for name, reference in zip(["y1", "y2"], want):
        np.testing.assert_allclose(got[name], reference, rtol=1e-4, atol=1e-4)
