"""The warning compile() gives for a model whose inputs have no dynamic dimension (a fixed batch).

Fixed-shape models are supported: such a model runs on exactly the shapes it declares. But the usual reason for
one is an export that forgot to mark the batch dynamic (``torch.onnx.export`` fixes every dimension unless told
otherwise), and ``infer`` then refuses any other element count. So compile() says so once, naming the inputs and
how to re-export, as a ``FixedBatchWarning`` (a UserWarning) that a program can silence::

    warnings.filterwarnings("ignore", category=sofie_soa.FixedBatchWarning)
"""

from __future__ import annotations

import sys
import warnings


class FixedBatchWarning(UserWarning):
    """A compiled model's inputs have no dynamic dimension: it accepts exactly the shapes it declares."""


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside the sofie_soa package (the user's compile() call)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("sofie_soa"):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_fixed_batch(label: str, inputs) -> None:
    """Warns (FixedBatchWarning) when no input of the model `label` has a dynamic dimension. `inputs`: the model's
    TensorInfo records, whose shapes hold ints and strings ("n", "2n") for multiples of the element count."""
    if not inputs or any(isinstance(d, str) for info in inputs for d in info.shape):
        return
    shapes = ", ".join(f"'{info.name}' {list(info.shape)}" for info in inputs)
    first = inputs[0].name
    warnings.warn(
        f"model {label!r} has a fixed batch: no input has a dynamic dimension ({shapes}), so infer() accepts "
        f"exactly these shapes. To infer on any number of rows, re-export it with a named dynamic batch "
        f"dimension: torch.onnx.export(..., dynamo=False, input_names=['{first}'], "
        f"dynamic_axes={{'{first}': {{0: 'N'}}}}) or, with the dynamo exporter (needs onnxscript), "
        f"torch.onnx.export(..., dynamo=True, dynamic_shapes={{'<forward argument>': "
        f"{{0: torch.export.Dim('N')}}}}). If the fixed shape is intended, silence this with "
        f"warnings.filterwarnings('ignore', category=sofie_soa.FixedBatchWarning).",
        FixedBatchWarning, stacklevel=_caller_stacklevel())
