"""Channels-first dense operands (codegen/channels_first.py): a stack of 1 x 1 convolutions with ReLUs between them
(an EdgeConv block, ParticleNet's) becomes one chained dense launch that reads its input [N, C, H, W] and writes
its output [N, M, H, W] from and into the workspace channels first, with no transpose and no Relu launch left; results match onnxruntime at image counts and
sizes whose rows do and do not fill the dense tiles; where the pattern does not hold (an intermediate also a graph
output, a 3 x 3 kernel) the transposes stay and results still match."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many, generate


def _stack(spatial=(8, 4), kernel=1, middle_output=False, seed=0):
    rng = np.random.default_rng(seed)
    widths = [6, 16, 16, 12]
    nodes, inits, src = [], [], "x"
    for i, (c, m) in enumerate(zip(widths, widths[1:])):
        k = kernel if i == 0 else 1
        inits += [numpy_helper.from_array((rng.normal(size=(m, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32),
                                          f"w{i}"),
                  numpy_helper.from_array(rng.normal(scale=0.1, size=m).astype(np.float32), f"b{i}")]
        nodes += [helper.make_node("Conv", [src, f"w{i}", f"b{i}"], [f"c{i}"], pads=[k // 2] * 4),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"])]
        src = f"r{i}"
    nodes.append(helper.make_node("ReduceMean", [src], ["y"], axes=[3], keepdims=0))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", widths[-1], spatial[0]])]
    if middle_output:
        outputs.append(helper.make_tensor_value_info("r0", TensorProto.FLOAT, ["N", widths[1], *spatial]))
    graph = helper.make_graph(nodes, "stack", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                             ["N", widths[0], *spatial])],
                              outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _launches(model) -> list:
    plan = generate(model, "stack").plans["cpu"]
    return [(launch.kernel, launch.args.get("op").name if launch.kernel == "map" else None)
            for launch in plan.launches]


def test_a_stack_of_pointwise_convolutions_is_one_dense_launch():
    # the caller's X is read once, transposed, by the first launch (graph inputs bind as strided features); every
    # other transpose and every Relu is gone
    assert _launches(_stack()) == [("map", "Identity"), ("dense", None), ("reduce", None)]
    plan = generate(_stack(), "stack").plans["cpu"]
    dense = next(launch for launch in plan.launches if launch.kernel == "dense")
    assert dense.args["x_sites"] == dense.args["y_sites"] == 32 and len(dense.args["layers"]) == 3
    assert [layer.epilogue[0] for layer in dense.args["layers"]] == ["relu"] * 3


def test_where_the_pattern_does_not_hold_the_transposes_stay():
    assert ("map", "Identity") in _launches(_stack(middle_output=True))    # r0 is also read by the caller
    assert ("map", "Relu") in _launches(_stack(middle_output=True))
    three = _launches(_stack(kernel=3))                                      # the first layer gathers windows
    assert ("gather" in {k for k, _ in three}) or ("map", "Identity") in three


def test_channels_first_stacks_match_onnxruntime():
    models = [_stack(), _stack(spatial=(5, 3)), _stack(spatial=(7, 9), seed=1), _stack(middle_output=True),
              _stack(kernel=3, spatial=(6, 5))]
    rng = np.random.default_rng(3)
    queue = ss.Queue("cpu_serial")
    for model, compiled in zip(models, compile_many(models, "cpu_serial")):
        reference = ort.InferenceSession(model.SerializeToString())
        shape = reference.get_inputs()[0].shape
        for n in [1, 2, 5, 33]:
            x = rng.standard_normal([n, *shape[1:]]).astype(np.float32)
            want = reference.run(None, {"x": x})
            got = compiled.infer(x, queue)
            got = got if isinstance(got, dict) else {"y": got}
            for meta, value in zip(reference.get_outputs(), want):
                np.testing.assert_allclose(got[meta.name], value, rtol=1e-5, atol=1e-5, err_msg=f"n = {n}")
