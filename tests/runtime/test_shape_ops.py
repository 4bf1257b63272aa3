"""Data-moving shape operators end to end: Concat of a graph input with intermediates, Unsqueeze, Transpose
(with a non-trivial permutation of trailing axes), Flatten, and Softmax over a middle axis, against
onnxruntime on SoA features read in place."""

import numpy as np
import onnxruntime as ort
import pytest

import sofie_soa as ss
from conftest import BACKENDS, FEATURES, gathered, tracks
from small_models import shape_model


@pytest.mark.parametrize("backend", BACKENDS)
def test_concat_transpose_softmax_match_onnxruntime(queues, backend):
    model_bytes = shape_model()
    model = ss.compile(model_bytes, backend, name="shape_ops")
    reference = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    for n in [0, 1, 7, 1000]:
        soa = tracks(n, seed=n)
        model.infer(soa.tensor(FEATURES), queues[backend], out=soa.tensor(["probs"]))
        np.testing.assert_allclose(soa["probs"][:, :, 0], reference.run(None, {"x": gathered(soa)})[0],
                                   rtol=1e-4, atol=1e-5)
