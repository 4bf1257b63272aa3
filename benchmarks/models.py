"""The dense models the benchmarks run, built with onnx.helper (random weights, fixed seed, dynamic batch N):

  trigger_mlp   16 -> 32 -> 32 -> 1, ReLU, sigmoid head (a trigger-sized classifier)
  sofie_linear  100 -> 50 -> 50 -> 50 -> 50 -> 10, ReLU (SOFIE's Linear benchmark shape)
  wide_mlp      256 -> 512 -> 512 -> 16, ReLU (layers wide enough for GEMM libraries to shine)
  track_mlp     the bundled examples/models/track_mlp.onnx (6 -> 32 -> 16 -> 1, exported by PyTorch)
  residual_mlp  16 -> 64, three residual blocks, -> 4, Softmax (intermediates read twice)
  residual_blocks  24 -> 128, six blocks x <- ReLU(x + Linear(ReLU(Linear(x)))), -> 2 (issue 16's regression MLP)
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]


def dense_mlp(widths, head: str | None = None, seed: int = 0) -> onnx.ModelProto:
    """Gemm + ReLU layers through `widths`, no activation after the last Gemm unless `head` (an ONNX op)."""
    rng = np.random.default_rng(seed)
    nodes, inits, name = [], [], "x"
    for i, (k, n) in enumerate(zip(widths, widths[1:])):
        inits += [numpy_helper.from_array((rng.normal(size=(n, k)) / np.sqrt(k)).astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(rng.normal(scale=0.1, size=n).astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [name, f"w{i}", f"b{i}"], [f"g{i}"], transB=1))
        name = f"g{i}"
        if i < len(widths) - 2:
            nodes.append(helper.make_node("Relu", [name], [f"r{i}"]))
            name = f"r{i}"
    if head:
        nodes.append(helper.make_node(head, [name], ["head"]))
        name = "head"
    nodes.append(helper.make_node("Identity", [name], ["y"]))
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", widths[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", widths[-1]])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def residual_mlp(width: int = 64, blocks: int = 3, seed: int = 0) -> onnx.ModelProto:
    """16 -> width, then `blocks` residual blocks h = relu(Gemm(h)) + h, then -> 4 and Softmax: intermediates read
    twice, which dense chains cannot absorb, so the memory planner has lifetimes to work with."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def gemm(name, src, k, n):
        inits.extend([numpy_helper.from_array((rng.normal(size=(n, k)) / np.sqrt(k)).astype(np.float32), f"{name}_w"),
                      numpy_helper.from_array(np.zeros(n, np.float32), f"{name}_b")])
        nodes.append(helper.make_node("Gemm", [src, f"{name}_w", f"{name}_b"], [name], transB=1))
    gemm("in", "x", 16, width)
    nodes.append(helper.make_node("Relu", ["in"], ["h0"]))
    for i in range(blocks):
        gemm(f"g{i}", f"h{i}", width, width)
        nodes.append(helper.make_node("Relu", [f"g{i}"], [f"r{i}"]))
        nodes.append(helper.make_node("Add", [f"r{i}", f"h{i}"], [f"h{i + 1}"]))
    gemm("out", f"h{blocks}", width, 4)
    nodes.append(helper.make_node("Softmax", ["out"], ["y"], axis=1))
    graph = helper.make_graph(nodes, "residual", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def residual_blocks(inputs: int = 24, width: int = 128, blocks: int = 6, outputs: int = 2, seed: int = 0):
    """inputs -> width (ReLU), `blocks` times x <- ReLU(x + Linear(ReLU(Linear(x)))), -> outputs: the skip
    connections of real architectures (codegen/residual_epilogues.py folds each block into one launch)."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def linear(name, src, k, n):
        inits.extend([numpy_helper.from_array((rng.normal(size=(n, k)) / np.sqrt(k)).astype(np.float32), f"{name}_w"),
                      numpy_helper.from_array(rng.normal(scale=0.1, size=n).astype(np.float32), f"{name}_b")])
        nodes.append(helper.make_node("Gemm", [src, f"{name}_w", f"{name}_b"], [name], transB=1))
    linear("in", "x", inputs, width)
    nodes.append(helper.make_node("Relu", ["in"], ["h0"]))
    for i in range(blocks):
        linear(f"a{i}", f"h{i}", width, width)
        nodes.append(helper.make_node("Relu", [f"a{i}"], [f"r{i}"]))
        linear(f"b{i}", f"r{i}", width, width)
        nodes.append(helper.make_node("Add", [f"h{i}", f"b{i}"], [f"s{i}"]))
        nodes.append(helper.make_node("Relu", [f"s{i}"], [f"h{i + 1}"]))
    linear("y", f"h{blocks}", width, outputs)
    graph = helper.make_graph(nodes, "residual_blocks",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", inputs])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", outputs])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def models() -> dict[str, bytes]:
    """name -> serialized ONNX model."""
    return {
        "trigger_mlp": dense_mlp([16, 32, 32, 1], head="Sigmoid").SerializeToString(),
        "sofie_linear": dense_mlp([100, 50, 50, 50, 50, 10]).SerializeToString(),
        "wide_mlp": dense_mlp([256, 512, 512, 16]).SerializeToString(),
        "track_mlp": (ROOT / "examples" / "models" / "track_mlp.onnx").read_bytes(),
        "residual_mlp": residual_mlp().SerializeToString(),
        "residual_blocks": residual_blocks().SerializeToString(),
    }


def inputs(model: bytes, n: int, seed: int = 0) -> np.ndarray:
    """A float32 [n, F] input for `model`."""
    dims = onnx.load_from_string(model).graph.input[0].type.tensor_type.shape.dim
    return np.random.default_rng(seed).normal(size=(n, dims[1].dim_value)).astype(np.float32)
