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
        (lambda: model.infer(soa.tensor(FEATURES), queue, out=np.zeros((10, 3), np.float16)), "float16 output"),
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
