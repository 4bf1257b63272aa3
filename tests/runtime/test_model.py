"""End to end: PyTorch-exported MLPs compiled to alpaka sessions, run on SoA views in place, checked against
onnxruntime on the copy pipeline's gathered input."""

import tracemalloc

import numpy as np
import onnxruntime as ort
import pytest

import sofie_soa as ss
from conftest import ACTIVATIONS, BACKENDS, FEATURES, exported, gathered, tracks


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_outputs_match_onnxruntime(compiled, queues, model_dir, activation, backend):
    model = compiled(activation, backend)
    reference = ort.InferenceSession(exported(activation, model_dir), providers=["CPUExecutionProvider"])
    for n in [0, 1, 7, 1000, 100000]:
        soa = tracks(n, seed=n)
        out = model.infer(soa.tensor(FEATURES), queues[backend], out=soa.tensor(["probs"]))
        expected = reference.run(None, {"x": gathered(soa)})[0]
        np.testing.assert_allclose(soa["probs"][:, :, 0], expected, rtol=1e-4, atol=1e-5)
        assert out.shape == (n, 3)


def test_bitwise_identical_across_runs_and_backends(compiled, queues):
    soa = tracks(5000, seed=3)
    results = []
    for backend in ["cpu_serial", "cpu_serial", "cpu_threads", "cpu_threads"]:
        results.append(compiled("selu", backend).infer(soa.tensor(FEATURES), queues[backend]).copy())
    for r in results[1:]:
        assert r.tobytes() == results[0].tobytes()


def test_outputs_land_in_the_soa_and_inputs_are_read_in_place(compiled, queues):
    model, queue = compiled("sigmoid", "cpu_serial"), queues["cpu_serial"]
    soa = tracks(200_000, seed=5)
    inputs, outputs = soa.tensor(FEATURES), soa.tensor(["probs"])
    model.infer(inputs, queue, out=outputs)                      # warm-up: first call creates the session
    tracemalloc.start()
    returned = model.infer(inputs, queue, out=outputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_bytes = soa.n * (4 + 4 + 8)
    assert peak < 0.01 * input_bytes, f"{peak} bytes allocated while inferring on {input_bytes} input bytes"
    assert returned is outputs                                   # the SoA view itself, no new array
    first = soa["probs"].copy()
    soa["pt"][:] *= 3.0                                          # mutate the input columns in place ...
    model.infer(inputs, queue, out=outputs)
    assert not np.array_equal(first, soa["probs"])               # ... and the next call reads them
    assert not soa["score"].any()                                # untouched neighbour column


def test_dlpack_inputs_and_new_outputs(compiled, queues):
    torch = pytest.importorskip("torch")
    model = compiled("relu", "cpu_threads")
    x = torch.randn(64, 4, dtype=torch.float64)
    y = model.infer(x[:, :], queues["cpu_threads"])
    expected = model.infer({"x": x.numpy().astype(np.float32)}, queues["cpu_threads"])
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (64, 3)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    transposed = torch.randn(4, 64).T                            # strided, not contiguous: read in place
    np.testing.assert_allclose(model.infer(transposed, queues["cpu_threads"]),
                               model.infer(transposed.contiguous(), queues["cpu_threads"]), rtol=0, atol=0)


def test_numpy_arrays_of_any_numeric_dtype_and_stride_are_read_in_place(compiled, queues):
    """NumPy arrays take the buffer-protocol path: every numeric dtype is converted on the fly, strided views are
    read in place, and each gives what the same values give as a contiguous float32 array (and as a torch tensor,
    the DLPack path)."""
    model, queue = compiled("relu", "cpu_serial"), queues["cpu_serial"]
    values = np.arange(40 * 4).reshape(40, 4) % 7            # non-negative: exact in every dtype
    expected = model.infer(values.astype(np.float32), queue)
    for dtype in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.float16, np.float64, np.bool_):
        cast = (values > 3) if dtype is np.bool_ else values.astype(dtype)
        reference = expected if dtype is not np.bool_ else model.infer(cast.astype(np.float32), queue)
        np.testing.assert_array_equal(model.infer(cast, queue), reference, err_msg=str(dtype))
    wide = np.zeros((80, 8), np.float64)
    wide[::2, 1::2] = values                                          # row stride 16, feature stride 2 elements
    np.testing.assert_array_equal(model.infer(wide[::2, 1::2], queue), expected)
    out = np.zeros((40, 6), np.float32)
    assert model.infer(values.astype(np.float32), queue, out=out[:, ::2]) is not None
    np.testing.assert_array_equal(out[:, ::2], expected)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(model.infer(torch.from_numpy(values.astype(np.float32)), queue), expected)
    frozen = np.zeros((40, 3), np.float32)
    frozen.flags.writeable = False
    for bad, message in [(values.astype(">f4"), "no conversion"),
                         (values.astype(np.complex64), "no conversion"),
                         ([[1.0] * 4], "expected a sofie_soa Tensor or a DLPack array, got list")]:
        with pytest.raises(ValueError, match=message):
            model.infer(bad, queue)
    with pytest.raises(ValueError, match="output 'y': the array is read-only"):
        model.infer(values.astype(np.float32), queue, out=frozen)
    raw = np.zeros(40 * 18, np.uint8)
    odd = np.ndarray((40, 4), np.float32, raw.data, 0, (18, 4))      # rows 18 bytes apart: not whole float32s
    with pytest.raises(ValueError, match="'x': a stride is not a whole number of elements"):
        model.infer(odd, queue)
    with pytest.raises(ValueError, match="'x': more than 8 dimensions"):
        model.infer(np.zeros((40, 4) + (1,) * 7, np.float32), queue)


class _BrokenDLPack:
    """Claims DLPack but hands out something that is not a capsule."""

    def __dlpack__(self, **kwargs):
        return "not a capsule"

    def __dlpack_device__(self):
        return (1, 0)


def test_bad_inputs_raise_before_anything_is_written(compiled, queues):
    model, queue = compiled("tanh", "cpu_serial"), queues["cpu_serial"]
    soa = tracks(10)
    other = tracks(11)
    read_only = ss.SoA.wrap(bytes(ss.Layout([ss.column("y", "float32")]).byte_size(10) * 3),
                            ss.Layout([ss.column("y", "float32")]), 10, writable=False)
    cases = [
        (lambda: model.infer(soa.tensor(["pt", "nHits"]), queue), "has 2 features, the model expects 4"),
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=other.tensor(["probs"])),
         "output 'y' has n = 11, the inputs have n = 10"),
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=soa.tensor(["score"])), "has 1 features, the model expects 3"),
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=read_only.tensor(["y"])), "read-only"),
        (lambda: model.infer(soa.tensor(FEATURES), queues["cpu_threads"]),
         "cpu_threads queue, the model was compiled for cpu_serial"),
        (lambda: model.infer({"q": soa.tensor(FEATURES)}, queue), "expected keys ['x']"),
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=np.zeros((10, 3), np.int32)),
         "output 'y': the array holds int32, the model's output is float32; converting float32 to int32 would lose "
         "information (pass cast=\"saturate\""),
        (lambda: model.infer(_BrokenDLPack(), queue), "'x': its DLPack export could not be imported"),
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=_BrokenDLPack()),
         "output 'y': its DLPack export could not be imported"),
    ]
    for call, message in cases:
        before = soa["probs"].copy(), soa["score"].copy()
        with pytest.raises(ValueError) as err:
            call()
        assert message in str(err.value)
        assert np.array_equal(before[0], soa["probs"]) and np.array_equal(before[1], soa["score"])


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'cuda_x'"):
        ss.Queue("cuda_x")


def test_a_capsule_that_alone_owns_its_memory_lives_until_inference_is_done(compiled, queues):
    """Security finding: an input or output whose DLPack capsule is the only owner of its memory was imported
    into a temporary that died before the kernels ran (wrong results, heap-use-after-free)."""
    from core.dlpack_capsule import CapsuleOwnedArray
    model, queue = compiled("relu", "cpu_serial"), queues["cpu_serial"]
    x = np.random.default_rng(3).normal(size=(50, 4)).astype(np.float32)
    producer = CapsuleOwnedArray(x)
    np.testing.assert_array_equal(model.infer(producer, queue), model.infer(x, queue))
    assert producer.released == 1                  # released, once, after the call
    out = CapsuleOwnedArray(np.zeros((50, 3), np.float32))
    model.infer(x, queue, out=out)                 # an output owned by its capsule: written while alive
    assert out.released == 1


def _dense_model(widths, seed, extra_outputs=()):
    """x [N, widths[0]] -> Gemm -> Relu -> ... -> Gemm -> Sigmoid -> y, plus `extra_outputs` (name, node)."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    nodes, weights, previous = [], [], "x"
    for i, (k, n) in enumerate(zip(widths[:-1], widths[1:])):
        weights += [numpy_helper.from_array(rng.normal(size=(k, n)).astype(np.float32), f"w{i}"),
                    numpy_helper.from_array(rng.normal(size=n).astype(np.float32), f"b{i}")]
        act = "Relu" if i < len(widths) - 2 else "Sigmoid"
        nodes += [helper.make_node("Gemm", [previous, f"w{i}", f"b{i}"], [f"g{i}"]),
                  helper.make_node(act, [f"g{i}"], [f"h{i}"])]
        previous = f"h{i}"
    nodes[-1].output[0] = "y"
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", widths[-1]])]
    for name, node, width in extra_outputs:
        nodes.append(node)
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", width]))
    graph = helper.make_graph(nodes, "dense", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", widths[0]])],
                              outputs, weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_a_rows_result_does_not_depend_on_n(queues):
    """Rows in a 1-4-row tail (n % 32 in 1..4) differed from the same rows in a full tile in the last bits: the
    README's bitwise claim, checked over random n and widths that are not multiples of the SIMD width."""
    model = ss.compile(_dense_model([13, 40, 33, 7], seed=1), "cpu_serial", name="bitwise_tail")
    queue = queues["cpu_serial"]
    x = np.random.default_rng(2).normal(size=(4096, 13)).astype(np.float32)
    full = model.infer(x, queue)
    rng = np.random.default_rng(3)
    for n in sorted({1, 2, 3, 4, 33, 36, 65, 100, *rng.integers(1, 4096, 60).tolist()}):
        first = int(rng.integers(0, 4096 - n + 1))
        assert model.infer(x[first:first + n], queue).tobytes() == full[first:first + n].tobytes(), n


def test_nan_propagates_through_relu_alone_and_fused(queues):
    """Relu(NaN) was 0, alone and fused after Gemm; onnxruntime gives NaN. NaN weights gave inf."""
    from onnx import helper
    model_bytes = _dense_model([4, 3, 2], seed=4, extra_outputs=[("r", helper.make_node("Relu", ["x"], ["r"]), 4)])
    model = ss.compile(model_bytes, "cpu_serial", name="nan_relu")
    x = np.random.default_rng(5).normal(size=(40, 4)).astype(np.float32)
    x[::3, 0] = np.nan
    got = model.infer(x, queues["cpu_serial"])
    expected = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for name, reference in zip(["y", "r"], expected):
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(reference), err_msg=name)
        np.testing.assert_allclose(got[name], reference, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.isnan(got["r"][::3, 0]).all() and np.isnan(got["y"][::3]).all()
