"""The Triton Python-backend model of a repository written by repository.write_repository: the ``model.py``
there imports TritonPythonModel from here.

At load (``initialize``) it compiles the ONNX model in its version folder, or finds it in sofie_soa's build cache
($SOFIE_SOA_CACHE passes through the server's environment), on the back-end named in config.pbtxt's
``parameters``, with one Queue per model instance (Triton runs each Python-backend instance as its own stub
process). ``execute`` runs every request of a (dynamic) batch through handler.Handler, in order, on that queue;
a bad request gets a TritonError response and the others of the batch are served.

Tensors cross the stub by DLPack only: the stub's ``as_numpy`` and ``Tensor(name, ndarray)`` read NumPy's C
structures at their NumPy 1.x offsets, and give wrong bytes under NumPy 2 (measured with the pytriton 0.7.0
wheel's 3.11 stub), while ``np.from_dlpack(tensor)`` and ``Tensor.from_dlpack`` are exact on both. The stub
renames a consumed capsule "used_dlpack" (DLPack's name is "used_dltensor"), so NumPy's capsule destructor
reports a harmless unraisable ValueError per output (the stub frees the tensor itself); _quiet_capsules filters
exactly that report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

try:                                       # present inside Triton's Python-backend stub only
    import triton_python_backend_utils as pb_utils
except ImportError:                        # imported for documentation or tests outside the server
    pb_utils = None


def _utf8_locale() -> None:
    """The stub initializes Python with an isolated configuration and never calls setlocale, so text streams and
    subprocess output decode as ASCII there, and a compiler message with a UTF-8 quote fails the session build
    (UnicodeDecodeError; measured). Sets LC_CTYPE from the environment, else C.UTF-8, when it is not UTF-8, and
    makes stdout / stderr (the server log) write UTF-8."""
    import locale
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    for name in ("", "C.UTF-8", "C.utf8"):
        try:
            locale.setlocale(locale.LC_CTYPE, name)
        except locale.Error:
            continue
        if locale.getpreferredencoding(False).replace("-", "").lower() == "utf8":
            return


def _quiet_capsules() -> None:
    """Installs a sys.unraisablehook that drops NumPy's report about the stub's "used_dlpack" capsules and passes
    every other report to the previous hook."""
    previous = sys.unraisablehook

    def hook(report):
        if isinstance(report.exc_value, ValueError) and "PyCapsule_GetPointer called with incorrect name" in \
                str(report.exc_value):
            return
        previous(report)

    sys.unraisablehook = hook


class TritonPythonModel:
    """Triton's Python-backend entry points for one model instance (one stub process)."""

    def initialize(self, args: dict) -> None:
        """Compiles or loads the session, reads the SoA binding, makes this instance's Queue."""
        import sofie_soa as ss
        from sofie_soa.serving import soa_layout
        from sofie_soa.serving.handler import Handler

        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        folder = Path(args["model_repository"]) / args["model_version"]
        backend = params.get("sofie_soa_backend", "cpu_serial")
        _utf8_locale()
        _quiet_capsules()
        model = ss.compile(folder / params.get("sofie_soa_onnx", "model.onnx"), backend,
                           name=params.get("sofie_soa_session") or None)
        binding = soa_layout.load(folder / params["sofie_soa_layout"]) if params.get("sofie_soa_layout") else None
        self.input_names = [i["name"] for i in config["input"]]
        self.name = args.get("model_instance_name", config.get("name", "model"))
        self.handler = Handler(model, ss.Queue(backend), int(params["sofie_soa_max_n"]), binding)

    def execute(self, requests: list) -> list:
        """One response per request, in order: its outputs, or a TritonError naming what was wrong."""
        from sofie_soa.serving.handler import RequestError

        responses = []
        for request in requests:
            try:
                arrays = {}
                for name in self.input_names:
                    tensor = pb_utils.get_input_tensor_by_name(request, name)
                    if tensor is not None:
                        arrays[name] = np.from_dlpack(tensor)
                outputs = self.handler(arrays)
                responses.append(pb_utils.InferenceResponse(
                    output_tensors=[pb_utils.Tensor.from_dlpack(name, np.ascontiguousarray(a))
                                    for name, a in outputs.items()]))
            except RequestError as err:
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(str(err))))
            except Exception as err:        # noqa: BLE001 — any failure answers this request only
                responses.append(pb_utils.InferenceResponse(
                    output_tensors=[], error=pb_utils.TritonError(f"{type(err).__name__}: {err}")))
        return responses

    def finalize(self) -> None:
        """Logs how many SoA buffers this instance had to copy for alignment (to the server log), drops the
        session and queue."""
        if self.handler is not None and self.handler.binding is not None:
            print(f"sofie_soa: {self.name}: {self.handler.soa_requests} SoA requests, {self.handler.copies} "
                  f"copied for alignment", file=sys.stderr, flush=True)
        self.handler = None
