"""Weight bytes reach the kernels exactly as the model holds them (codegen/emitter.py kWeights)."""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many


def _constant_model(value: np.ndarray):
    graph = helper.make_graph([helper.make_node("Identity", ["c"], ["y"])], "constant", [],
                              [helper.make_tensor_value_info("y", numpy_helper.from_array(value).data_type,
                                                             list(value.shape))],
                              initializer=[numpy_helper.from_array(value, "c")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_constant_outputs_are_bitwise_the_initializers():
    """A 160-byte int64 table ending in zeros after two equal values (test_tril_neg's folded output) came out with
    its last two elements copied from the one before when the weights were a constexpr string literal and g++ 12
    targeted AVX-512; random tables of several dtypes and sizes guard the rest."""
    rng = np.random.default_rng(7)
    values = [np.array([[0, 0, 0, 0, 0], [9, 0, 0, 0, 0], [7, 6, 0, 0, 0], [6, 7, 7, 0, 0]], np.int64)]
    for dtype in (np.int64, np.int32, np.float32, np.float64, np.uint8):
        for size in (3, 20, 65, 131):
            table = rng.integers(0, 3, size).astype(dtype)     # many zeros and repeats
            table[-(size // 4):] = 0
            values.append(table)
    queue = ss.Queue("cpu_serial")
    for value, model in zip(values, compile_many([_constant_model(v) for v in values], "cpu_serial")):
        got = model.infer({}, queue)
        assert got.dtype == value.dtype and got.tobytes() == value.tobytes(), (value, got)
