"""What infer writes and how it converts (issue 13, findings 2 and 8): 3-D outputs of a dense layer land in
bounds; float outputs go into integer or bool arrays only with cast="saturate" (round half to even, clamp,
NaN -> 0); float -> float of another width is rounded; int64 models compute exactly; stride-0 and overlapping
outputs are refused before anything is written."""

import numpy as np
import onnxruntime as ort
import pytest
from numpy.lib.stride_tricks import as_strided

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many
from small_models import MODELS


@pytest.fixture(scope="module")
def models():
    return dict(zip(MODELS, compile_many(list(MODELS.values()), "cpu_serial", names=list(MODELS))))


def test_a_3d_dense_output_is_written_in_bounds_and_matches_onnxruntime(models):
    x = np.random.default_rng(1).normal(size=(37, 26)).astype(np.float32)
    guard = np.full((37 * 169 + 64,), 7.0, np.float32)          # the output, then 64 guard elements
    out = guard[:37 * 169].reshape(37, 13, 13)
    models["matmul3d"].infer(x, ss.Queue("cpu_serial"), out=out)
    expected = ort.InferenceSession(MODELS["matmul3d"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert np.all(guard[37 * 169:] == 7.0)


def test_float_outputs_into_integer_and_bool_arrays_need_cast_saturate(models):
    model, queue = models["identity"], ss.Queue("cpu_serial")
    x = np.array([[-1.0, 300.0, np.nan, 2.5], [3.5, -0.5, 254.5, np.inf]], np.float32)
    for dtype in (np.uint8, np.int32, np.bool_):
        out = np.zeros((2, 4), dtype)
        with pytest.raises(ValueError, match=f"output 'y': the array holds {np.dtype(dtype).name}.*cast=\"saturate\""):
            model.infer(x, queue, out=out)
        assert not out.any()                                       # refused before anything was written
    u8 = np.zeros((2, 4), np.uint8)
    model.infer(x, queue, out=u8, cast="saturate")
    assert u8.tolist() == [[0, 255, 0, 2], [4, 0, 254, 255]]     # clamp, NaN -> 0, round half to even
    i32 = np.zeros((2, 4), np.int32)
    model.infer(x, queue, out=i32, cast="saturate")
    assert i32.tolist() == [[-1, 300, 0, 2], [4, 0, 254, 2**31 - 1]]
    flags = np.ones((2, 4), np.bool_)
    model.infer(x, queue, out=flags, cast="saturate")
    assert flags.tolist() == [[False, True, False, True], [True, False, True, True]]  # clamped to [0, 1]


def test_float_outputs_of_another_width_are_rounded(models):
    x = np.array([[1 / 3, 65520.0, 1e-8, -2.0]], np.float32)
    half = np.zeros((1, 4), np.float16)
    double = np.zeros((1, 4), np.float64)
    models["identity"].infer(x, ss.Queue("cpu_serial"), out=half)
    models["identity"].infer(x, ss.Queue("cpu_serial"), out=double)
    assert half.tobytes() == x.astype(np.float16).tobytes()
    assert double.tolist() == x.astype(np.float64).tolist()


def test_int64_models_compute_exactly_beyond_float32s_mantissa(models):
    x = np.array([[2**40 + 1], [-(2**61) + 3], [0]], np.int64)
    y = models["int64"].infer(x, ss.Queue("cpu_serial"))
    assert y.dtype == np.int64 and y.tolist() == [[2**41 + 3], [-(2**62) + 7], [1]]


def test_stride_0_and_overlapping_outputs_are_refused_before_anything_is_written(models):
    queue, x = ss.Queue("cpu_serial"), np.ones((5, 4), np.float32)
    base = np.full(8, 3.0, np.float32)
    broadcast = as_strided(base, (5, 4), (0, 4), writeable=True)
    with pytest.raises(ValueError, match="output 'y'.*stride 0"):
        models["identity"].infer(x, queue, out=broadcast)
    shared = np.full((5, 4), 3.0, np.float32)
    with pytest.raises(ValueError, match="overlap"):
        models["two_outputs"].infer(x, queue, out={"a": shared, "b": shared})
    rows = np.full((6, 4), 3.0, np.float32)
    with pytest.raises(ValueError, match="overlap"):
        models["two_outputs"].infer(x, queue, out={"a": rows[:5], "b": rows[1:]})
    assert np.all(base == 3.0) and np.all(shared == 3.0) and np.all(rows == 3.0)
