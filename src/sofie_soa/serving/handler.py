"""Serves one compiled session: turns the inputs of one Triton request (NumPy arrays by name) into its outputs,
in either request form. No Triton here, so it runs and is tested in-process; the Python-backend model
(triton_model.py) only moves tensors in and out.

Tensor form: one array per ONNX input, ``[n, ...]`` as ONNX declares it (n <= max_n). SoA form: soa_wire.BUFFER
and soa_wire.COUNT (see soa_wire). Bad requests raise RequestError, whose message names the input and the
numbers; nothing is kept between requests.
"""

from __future__ import annotations

import numpy as np

import sofie_soa as ss
from sofie_soa.serving import soa_wire
from sofie_soa.serving.errors import RequestError
from sofie_soa.serving.soa_layout import SoABinding


class Handler:
    """One model instance's request path: `model` (a compiled sofie_soa.Model) on its own `queue`; `max_n` is the
    largest n accepted (elements); `binding` the SoA form's layout (None: tensor form only)."""

    def __init__(self, model: ss.Model, queue: ss.Queue, max_n: int, binding: SoABinding | None = None):
        self.model, self.queue, self.max_n, self.binding = model, queue, max_n, binding
        self.inputs = {t.name: t for t in model.inputs}
        self.outputs = {t.name: t for t in model.outputs}
        self.soa_requests = 0   # SoA-form requests served
        self.copies = 0         # of which arrived misaligned and were copied before wrapping (soa_wire.wrap)
        if binding is not None:
            out_layout = ss.Layout([ss.column(f"o{i}", dtype) for i, (_, _, dtype)
                                    in enumerate(binding.output_features)])
            self._out_layout = out_layout

    def __call__(self, arrays: dict) -> dict:
        """Outputs (name -> NumPy array) for one request's inputs (name -> NumPy array). RequestError for a
        missing, extra or misshapen input, n beyond max_n, or a byte count that does not match n."""
        if soa_wire.BUFFER in arrays or soa_wire.COUNT in arrays:
            return self.soa_form(arrays)
        return self.tensor_form(arrays)

    def tensor_form(self, arrays: dict) -> dict:
        """ONNX outputs [n, ...] in their ONNX dtypes for ONNX inputs [n, ...]."""
        missing = [name for name in self.inputs if name not in arrays]
        if missing:
            raise RequestError(f"missing input '{missing[0]}' (the model takes "
                               f"{', '.join(self.inputs)}; or {soa_wire.BUFFER} and {soa_wire.COUNT} for the SoA "
                               f"form)" if self.binding else f"missing input '{missing[0]}' (the model takes "
                               f"{', '.join(self.inputs)})")
        extra = [name for name in arrays if name not in self.inputs]
        if extra:
            raise RequestError(f"unexpected input '{extra[0]}' (the model takes {', '.join(self.inputs)})")
        n = None
        for name, info in self.inputs.items():
            a = arrays[name]
            if a.dtype != np.dtype(info.dtype):
                raise RequestError(f"input '{name}' is {a.dtype}, the model takes {info.dtype}")
            if a.ndim != len(info.shape) or any(isinstance(d, int) and d != s for d, s in zip(info.shape[1:], a.shape[1:])):
                raise RequestError(f"input '{name}' has shape {list(a.shape)}; the model takes "
                                   f"{[('n' if not isinstance(d, int) else d) for d in info.shape]}")
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise RequestError(f"input '{name}' has {a.shape[0]} rows, the first input {n}")
        if n > self.max_n:
            raise RequestError(f"input '{next(iter(self.inputs))}' has n = {n} rows, beyond the model's max n "
                               f"{self.max_n}")
        feed = arrays[next(iter(self.inputs))] if len(self.inputs) == 1 else {k: arrays[k] for k in self.inputs}
        try:
            result = self.model.infer(feed, self.queue)
        except ValueError as err:
            raise RequestError(str(err)) from None
        return result if isinstance(result, dict) else {next(iter(self.outputs)): result}

    def soa_form(self, arrays: dict) -> dict:
        """soa.<feature> outputs [1, n] for an SoA buffer [1, nbytes] and its n [1, 1]."""
        if self.binding is None:
            raise RequestError(f"this model serves no SoA form (its repository was written without --soa-layout); "
                               f"send {', '.join(self.inputs)}")
        for name in (soa_wire.BUFFER, soa_wire.COUNT):
            if name not in arrays:
                raise RequestError(f"missing input '{name}' (the SoA form sends {soa_wire.BUFFER} and "
                                   f"{soa_wire.COUNT})")
        extra = [name for name in arrays if name not in (soa_wire.BUFFER, soa_wire.COUNT)]
        if extra:
            raise RequestError(f"unexpected input '{extra[0]}' beside the SoA form's {soa_wire.BUFFER}")
        buffer, count = arrays[soa_wire.BUFFER], arrays[soa_wire.COUNT]
        if buffer.dtype != np.uint8:
            raise RequestError(f"input '{soa_wire.BUFFER}' is {buffer.dtype}, the SoA form sends uint8")
        if count.size != 1 or count.dtype.kind not in "iu":
            raise RequestError(f"input '{soa_wire.COUNT}' must be one integer, got {count.dtype} of shape "
                               f"{list(count.shape)}")
        n = int(count.reshape(-1)[0])
        try:
            soa_wire.check_request(self.binding.layout, buffer.size, n, self.max_n)
        except ValueError as err:
            raise RequestError(str(err)) from None
        soa, copied = soa_wire.wrap(buffer, self.binding.layout, n)
        self.copies += copied
        self.soa_requests += 1
        out = ss.SoA.allocate(self._out_layout, n)
        feeds = {name: soa.tensor(labels) for name, labels in self.binding.inputs.items()}
        column = iter(range(len(self.binding.output_features)))
        outs = {name: out.tensor([f"o{next(column)}" for _ in labels]) for name, labels in self.binding.outputs.items()}
        try:
            self.model.infer(feeds if len(feeds) > 1 else next(iter(feeds.values())), self.queue,
                             out=outs if len(outs) > 1 else next(iter(outs.values())))
        except ValueError as err:
            raise RequestError(str(err)) from None
        return {soa_wire.output_name(label): out[f"o{i}"].reshape(1, n)
                for i, (_, label, _) in enumerate(self.binding.output_features)}
