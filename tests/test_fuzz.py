"""Differential fuzzing against onnxruntime (issue 13): hypothesis builds random small ONNX models from the
supported operators — dense layers and MatMuls of random widths, activations, broadcasting binary operators with
constants, reshapes to 3-D and back, transposes, concatenations with earlier tensors, softmax, 3-D outputs and
extra intermediate outputs — compiles each example's models in one library, and compares every output with
onnxruntime at random n (rtol 1e-4, atol 1e-5).

Each example is a batch of MODELS_PER_EXAMPLE models (one build). The suite runs FUZZ_EXAMPLES examples
(default 3); a longer local run: `FUZZ_EXAMPLES=200 python3 -m pytest tests/test_fuzz.py`. hypothesis shrinks a
failure and keeps it in its example database (.hypothesis/, replayed first next time); the failing model is
also written to .hypothesis/fuzz-failures/<sha>.onnx for a bug report."""

import hashlib
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, checker, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
MODELS_PER_EXAMPLE = 8
FAILURES = Path(".hypothesis") / "fuzz-failures"
UNARY = ["Relu", "Tanh", "Sigmoid", "Neg", "Abs", "Softsign", "Elu", "LeakyRelu", "HardSigmoid", "Exp"]
BINARY = ["Add", "Sub", "Mul", "Max", "Min"]


@st.composite
def models(draw) -> bytes:
    """A random model: x [N, F] float32, 1..7 operators, the last tensor (and maybe an intermediate) as outputs.
    Shapes are tracked without the leading N; every operator keeps N on axis 0."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    const = lambda shape, name: numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)  # noqa
    features = draw(st.integers(1, 24))
    tensors = {"x": (features,)}                  # name -> shape without N
    nodes, inits, current = [], [], "x"
    for k in range(draw(st.integers(1, 7))):
        shape, out = tensors[current], f"t{k}"
        kind = draw(st.sampled_from(["dense", "matmul", "unary", "binary", "reshape", "transpose", "concat",
                                     "softmax"]))
        if kind == "dense" and len(shape) == 1:
            width = draw(st.integers(1, 40))
            inits += [const((width, shape[0]), f"w{k}"), const((width,), f"b{k}")]
            nodes.append(helper.make_node("Gemm", [current, f"w{k}", f"b{k}"], [out], transB=1))
            new = (width,)
        elif kind in ("dense", "matmul"):
            width = draw(st.integers(1, 24))
            inits.append(const((shape[-1], width), f"w{k}"))
            nodes.append(helper.make_node("MatMul", [current, f"w{k}"], [out]))
            new = shape[:-1] + (width,)
        elif kind == "unary":
            op = draw(st.sampled_from(UNARY))
            nodes.append(helper.make_node(op, [current], [out]))
            new = shape
        elif kind == "binary":
            bshape = tuple(d if draw(st.booleans()) else 1 for d in shape)[draw(st.integers(0, len(shape))):]
            inits.append(const(bshape, f"c{k}"))
            ins = [current, f"c{k}"] if draw(st.booleans()) else [f"c{k}", current]
            nodes.append(helper.make_node(draw(st.sampled_from(BINARY)), ins, [out]))
            new = shape
        elif kind == "reshape":
            total = int(np.prod(shape))
            divisors = [d for d in range(1, total + 1) if total % d == 0]
            new = (total,) if len(shape) > 1 else (draw(st.sampled_from(divisors)), total)
            new = new if len(new) == 1 else (new[0], total // new[0])
            inits.append(numpy_helper.from_array(np.array([0 if draw(st.booleans()) else -1, *new], np.int64)
                                                 if len(new) > 1 else np.array([0, -1], np.int64), f"s{k}"))
            nodes.append(helper.make_node("Reshape", [current, f"s{k}"], [out]))
        elif kind == "transpose" and len(shape) == 2:
            nodes.append(helper.make_node("Transpose", [current], [out], perm=[0, 2, 1]))
            new = (shape[1], shape[0])
        elif kind == "concat":
            partners = [n for n, s in tensors.items() if s[:-1] == shape[:-1]]
            other = draw(st.sampled_from(partners))
            nodes.append(helper.make_node("Concat", [current, other], [out], axis=-1))
            new = shape[:-1] + (shape[-1] + tensors[other][-1],)
        else:
            nodes.append(helper.make_node("Softmax", [current], [out], axis=-1))
            new = shape
        tensors[out], current = new, out
    outputs = [current] + ([draw(st.sampled_from(sorted(tensors)[:-1]))] if len(tensors) > 2 and
                           draw(st.booleans()) else [])
    outputs = [o for o in dict.fromkeys(outputs) if o != "x"]
    if not outputs:
        nodes.append(helper.make_node("Identity", ["x"], ["y"]))
        tensors["y"], outputs = tensors["x"], ["y"]
    info = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", *tensors[n]])  # noqa: E731
    graph = helper.make_graph(nodes, "fuzz", [info("x")], [info(o) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    checker.check_model(model)
    return model.SerializeToString()


def _save(model: bytes) -> Path:
    FAILURES.mkdir(parents=True, exist_ok=True)
    path = FAILURES / f"{hashlib.sha256(model).hexdigest()[:16]}.onnx"
    path.write_bytes(model)
    return path


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(models(), min_size=MODELS_PER_EXAMPLE, max_size=MODELS_PER_EXAMPLE),
       st.lists(st.sampled_from([1, 2, 5, 31, 33, 100, 257]), min_size=MODELS_PER_EXAMPLE,
                max_size=MODELS_PER_EXAMPLE))
def test_random_models_match_onnxruntime(batch, ns):
    compiled = compile_many(batch, "cpu_threads", names=[f"fuzz{k}" for k in range(len(batch))])
    queue = ss.Queue("cpu_threads")
    for data, model, n in zip(batch, compiled, ns):
        reference = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(n).normal(size=[n if d == "n" else d for d in model.inputs[0].shape])
        x = x.astype(np.float32)
        expected = reference.run(None, {"x": x})
        got = model.infer(x, queue)
        got = got if isinstance(got, dict) else {model.output_names[0]: got}
        for info, want in zip(reference.get_outputs(), expected):
            try:
                np.testing.assert_allclose(got[info.name], want, rtol=1e-4, atol=1e-5)
            except AssertionError as err:
                raise AssertionError(f"output {info.name} at n = {n} (model saved as {_save(data)}): {err}") from None
