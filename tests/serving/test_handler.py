"""The request path the Python backend runs (serving.handler), in-process: both forms against local inference,
bitwise, and every refused request named."""

import numpy as np
import pytest

import sofie_soa as ss
from conftest import LAYOUT, MAX_N, gather, local_scores, tracks
from sofie_soa.serving import soa_layout, soa_wire
from sofie_soa.serving.handler import Handler, RequestError


@pytest.fixture(scope="module")
def handler(model, layout_json):
    return Handler(model, ss.Queue("cpu_serial"), MAX_N, soa_layout.load(layout_json))


def soa_request(soa):
    return {soa_wire.BUFFER: soa_wire.buffer_bytes(soa).reshape(1, -1).copy(),
            soa_wire.COUNT: np.array([[soa.n]], np.int64)}


@pytest.mark.parametrize("n", [1, 7, 1000, MAX_N])
def test_both_forms_equal_local_inference_bitwise(handler, model, n):
    soa = tracks(n, seed=n)
    expected = local_scores(model, soa)
    got = handler(soa_request(soa))
    assert list(got) == ["soa.score"] and got["soa.score"].shape == (1, n) and got["soa.score"].dtype == np.float32
    assert np.array_equal(got["soa.score"][0], expected)
    tensor = handler({"features": gather(soa)})["score"]
    assert tensor.shape == (n, 1) and np.array_equal(tensor[:, 0], expected)


def test_buffer_is_wrapped_in_place_when_aligned(handler):
    soa = tracks(64, seed=3)
    request = soa_request(soa)
    wrapped, copied = soa_wire.wrap(request[soa_wire.BUFFER], LAYOUT, 64)
    assert not copied and wrapped.address == request[soa_wire.BUFFER].ctypes.data


def test_misaligned_buffer_is_copied_and_still_exact(handler, model):
    soa = tracks(100, seed=4)
    raw = np.zeros(LAYOUT.byte_size(100) + 1, np.uint8)
    raw[1:] = soa_wire.buffer_bytes(soa)
    wrapped, copied = soa_wire.wrap(raw[1:], LAYOUT, 100)
    assert copied and np.array_equal(local_scores(model, wrapped), local_scores(model, soa))


@pytest.mark.parametrize("mutate, words", [
    (lambda r: r.update({soa_wire.BUFFER: r[soa_wire.BUFFER][:, :-1]}), ["soa_buffer_bytes", "bytes", "soa_n", "= 50"]),
    (lambda r: r.update({soa_wire.COUNT: np.array([[MAX_N + 1]], np.int64)}), ["soa_n", str(MAX_N + 1), str(MAX_N)]),
    (lambda r: r.pop(soa_wire.COUNT), ["missing input 'soa_n'"]),
    (lambda r: r.update({soa_wire.BUFFER: r[soa_wire.BUFFER].view(np.int8)}), ["soa_buffer_bytes", "int8", "uint8"]),
    (lambda r: r.update({"features": np.zeros((1, 8), np.float32)}), ["unexpected input 'features'"]),
])
def test_bad_soa_requests_are_named(handler, mutate, words):
    request = soa_request(tracks(50, seed=5))
    mutate(request)
    with pytest.raises(RequestError) as err:
        handler(request)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("request_, words", [
    ({}, ["missing input 'features'"]),
    ({"features": np.zeros((5, 8), np.float64)}, ["features", "float64", "float32"]),
    ({"features": np.zeros((5, 7), np.float32)}, ["features", "[5, 7]", "'n', 8"]),
    ({"features": np.zeros((MAX_N + 1, 8), np.float32)}, ["features", str(MAX_N + 1), str(MAX_N)]),
])
def test_bad_tensor_requests_are_named(handler, request_, words):
    with pytest.raises(RequestError) as err:
        handler(request_)
    for word in words:
        assert word in str(err.value)


def test_tensor_only_model_refuses_the_soa_form(model):
    h = Handler(model, ss.Queue("cpu_serial"), MAX_N, None)
    with pytest.raises(RequestError, match="no SoA form"):
        h(soa_request(tracks(3, seed=6)))
