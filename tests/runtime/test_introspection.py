"""What a user sees interactively: Model.inputs/outputs records (the element count as "n"), reprs of Model, SoA,
Tensor and Queue, and infer without a queue (this thread's default queue of the back-end)."""

import threading

import numpy as np
import pytest

import sofie_soa as ss
from relu_models import relu_model
from sofie_soa.runtime.default_queue import default_queue


@pytest.fixture(scope="module")
def relu():
    return ss.compile(relu_model(["N", 4]), name="relu4")


def test_inputs_and_outputs_are_records_with_n_for_the_element_count(relu):
    assert relu.inputs == [ss.TensorInfo("x", ("n", 4), "float32")]
    assert relu.outputs == [ss.TensorInfo("y", ("n", 4), "float32")]
    assert (relu.inputs[0].name, relu.inputs[0].shape, relu.inputs[0].dtype) == ("x", ("n", 4), "float32")
    assert relu.input_names == ["x"] and relu.output_names == ["y"]


def test_reprs_say_what_each_object_is():
    layout = ss.Layout([ss.column("x", "float32"), ss.eigen_column("v", "float64", (3, 1)), ss.scalar("s", "int32")])
    soa = ss.SoA.allocate(layout, 10)
    assert repr(soa) == ("SoA(n=10, members=[x, v, s], nbytes=640, device='cpu', owns_memory=True, "
                         "writable=True)")
    assert repr(soa.tensor(["x"])) == "Tensor(n=10, features=[x: float32], device='cpu', writable=True)"
    mixed = repr(soa.tensor(["x", "v[1]", "s"]))
    assert mixed.startswith("Tensor(n=10, features=[x: float32, v[1]: float64, s: int32 (scalar)], device='cpu'")
    assert "no DLPack: features 'x' (float32) and 'v[1]' (float64) differ in dtype" in mixed
    assert repr(layout) == ("Layout([column('x', 'float32'), eigen_column('v', 'float64', (3, 1)), "
                            "scalar('s', 'int32')], alignment=128)")
    assert repr(ss.Queue("cpu_serial")) == "Queue('cpu_serial', device=0)"


def test_model_repr_shows_backend_inputs_and_outputs(relu):
    assert repr(relu) == "<sofie_soa.Model 'relu4' on cpu_serial: (x: float32[n, 4]) -> (y: float32[n, 4])>"


def test_infer_without_a_queue_uses_this_threads_default_queue(relu):
    x = np.array([[-1, 2, -3, 4], [5, -6, 7, -8]], np.float32)
    np.testing.assert_array_equal(relu.infer(x), np.maximum(x, 0))
    np.testing.assert_array_equal(relu.infer(x), relu.infer(x, ss.Queue("cpu_serial")))
    mine = default_queue("cpu_serial")
    assert default_queue("cpu_serial") is mine and mine.backend == "cpu_serial" and mine.device == 0
    other = []
    thread = threading.Thread(target=lambda: other.append((default_queue("cpu_serial"), relu.infer(x))))
    thread.start()
    thread.join()
    assert other[0][0] is not mine
    np.testing.assert_array_equal(other[0][1], np.maximum(x, 0))
