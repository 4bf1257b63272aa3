"""The onnx package's `pytorch-converted` backend test cases (models exported by PyTorch, with their inputs and
expected outputs) that use only supported operators: run with their own data, and with the batch made dynamic
at N in {0, 1, 7, 1000, 100000} against onnxruntime, on every CPU backend."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

import sofie_soa as ss
from conftest import BACKENDS

DATA = Path(onnx.__file__).parent / "backend" / "test" / "data" / "pytorch-converted"
CASES = ["test_ELU", "test_LeakyReLU", "test_LeakyReLU_with_negval", "test_Linear", "test_Linear_no_bias",
         "test_LogSoftmax", "test_PixelShuffle", "test_PoissonNLLLLoss_no_reduce", "test_ReLU", "test_SELU",
         "test_Sigmoid", "test_Softmax", "test_Softmin", "test_Softplus", "test_Softsign", "test_Tanh",
         "test_log_softmax_dim3", "test_log_softmax_lastdim", "test_softmax_functional_dim3", "test_softmax_lastdim"]
# Constants of these models hold the batch (PixelShuffle's Reshape shape, PoissonNLLLoss's target): the batch
# cannot be made dynamic, so they run at their own batch only.
FIXED_BATCH = {"test_PixelShuffle", "test_PoissonNLLLLoss_no_reduce"}


def dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with the first dimension of its graph inputs and outputs renamed to the symbol N."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for value in [*model.graph.input, *model.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del model.graph.value_info[:]
    return model


def load(case: str) -> onnx.ModelProto:
    model = onnx.load(DATA / case / "model.onnx")
    return model if case in FIXED_BATCH else dynamic(model)


@pytest.fixture(scope="module")
def compiled():
    """Every (case, backend) compiled up front, in parallel (the C++ compiler runs outside the GIL)."""
    jobs = [(case, backend) for case in CASES for backend in BACKENDS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        models = pool.map(lambda job: ss.compile(load(job[0]), job[1], name=job[0]), jobs)
        return dict(zip(jobs, models))


@pytest.fixture(scope="module")
def queues():
    return {b: ss.Queue(b) for b in BACKENDS}


def _data(case: str, kind: str) -> np.ndarray:
    return numpy_helper.to_array(onnx.load_tensor(DATA / case / "test_data_set_0" / f"{kind}_0.pb"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES)
def test_case_data_and_dynamic_batches_match(compiled, queues, case, backend):
    model, queue = compiled[(case, backend)], queues[backend]
    x, expected = _data(case, "input"), _data(case, "output")
    np.testing.assert_allclose(model.infer(x, queue), expected, rtol=1e-4, atol=1e-5)
    if case in FIXED_BATCH:
        return
    run = reference(load(case))
    rng = np.random.default_rng(0)
    for n in [0, 1, 7, 1000, 100000]:
        xn = rng.normal(size=(n,) + x.shape[1:]).astype(np.float32)
        np.testing.assert_allclose(model.infer(xn, queue), run(xn), rtol=1e-4, atol=1e-5)


def reference(model: onnx.ModelProto):
    """onnxruntime on the model, or onnx's reference evaluator for an opset onnxruntime has no kernel for
    (Gemm-6 of test_Linear)."""
    name = model.graph.input[0].name
    try:
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {name: x})[0]
    except ort.capi.onnxruntime_pybind11_state.NotImplemented:
        evaluator = ReferenceEvaluator(model)
        return lambda x: evaluator.run(None, {name: x})[0]
