"""compile() warns when a model has a fixed batch (no dynamic dimension on any input), naming the inputs and how
to re-export; fixed-shape models still compile and run on their declared shape."""

import warnings

import numpy as np
import pytest

import sofie_soa as ss
from relu_models import relu_model


def test_a_fixed_batch_warns_naming_the_inputs_and_how_to_re_export_and_still_runs():
    with pytest.warns(ss.FixedBatchWarning) as record:
        model = ss.compile(relu_model([1, 4]), name="fixed_relu")
    assert len(record) == 1
    message = str(record[0].message)
    assert "model 'fixed_relu' has a fixed batch" in message and "'x' [1, 4]" in message
    assert "dynamic_axes={'x': {0: 'N'}}" in message and "dynamo=False" in message
    assert "dynamic_shapes=" in message and "onnxscript" in message
    assert record[0].filename == __file__            # points at the user's compile() call
    assert issubclass(ss.FixedBatchWarning, UserWarning)
    x = np.array([[-1, 2, -3, 4]], np.float32)
    np.testing.assert_array_equal(model.infer(x, ss.Queue()), np.maximum(x, 0))


def test_a_dynamic_batch_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ss.FixedBatchWarning)
        model = ss.compile(relu_model(["N", 4]), name="dynamic_relu")
    assert model.inputs[0].shape == ("n", 4)
