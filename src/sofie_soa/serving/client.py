"""A client of a sofie_soa model served by Triton (repository.write_repository + server.Server).

    client = Client("127.0.0.1:8001", "track_classifier")              # gRPC; protocol="http" for REST
    client.infer(soa, out=soa.tensor(["score"]))                       # SoA form: the buffer as it lies
    scores = client.infer(features)                                    # tensor form: float32 [n, 8] -> [n, 1]

SoA form: the SoA's whole buffer (layout.byte_size(n) bytes) goes as one UINT8 tensor with n, never gathered;
the server reads the model's features from their columns in place. The returned output features are written
into `out`'s features in order. Tensor form: one array per ONNX input, as ONNX declares it.

With shared_memory="system" (default "auto": when the server's host is a loopback address) request and response
travel through system shared memory regions owned by this client (shm.Region): the SoA buffer is copied into the
region in one contiguous move (no gather) and outputs are read from it. A Client is used by one thread at a time;
make one per thread. Server-side errors raise RemoteError with the server's message.
"""

from __future__ import annotations

import json

import numpy as np

import sofie_soa as ss
from sofie_soa.serving import shm, soa_layout, soa_wire
from sofie_soa.serving.dtypes import numpy_dtype, triton_dtype
from sofie_soa.serving.errors import RemoteError

_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


class Client:
    """A client of model `model` at `url` ("host:port"). protocol: "grpc" or "http". shared_memory: "auto",
    "system" or "none". timeout_s: network timeout per request (seconds). Raises RemoteError when the model is not
    ready or cannot be described; ImportError without tritonclient."""

    def __init__(self, url: str, model: str, protocol: str = "grpc", shared_memory: str = "auto",
                 timeout_s: float = 120.0):
        if protocol == "grpc":
            import tritonclient.grpc as tc
        elif protocol == "http":
            import tritonclient.http as tc
        else:
            raise ValueError(f"protocol must be 'grpc' or 'http', got {protocol!r}")
        if shared_memory not in ("auto", "system", "none"):
            raise ValueError(f"shared_memory must be 'auto', 'system' or 'none', got {shared_memory!r}")
        self._tc, self.protocol, self.model, self.timeout_s = tc, protocol, model, timeout_s
        from tritonclient.utils import InferenceServerException
        self._exception = InferenceServerException
        self.triton = tc.InferenceServerClient(url, network_timeout=timeout_s) if protocol == "http" else \
            tc.InferenceServerClient(url)
        try:
            config = self.triton.get_model_config(model, as_json=True) if protocol == "grpc" else \
                self.triton.get_model_config(model)
        except InferenceServerException as err:
            raise RemoteError(f"model {model!r} at {url}: {err.message()}") from None
        config = config["config"] if protocol == "grpc" else config
        self._describe(config)
        self.shared_memory = shared_memory == "system" or (shared_memory == "auto" and url.startswith(_LOOPBACK))
        self._in = shm.Region(self.triton, "sofie_soa_in") if self.shared_memory else None
        self._out = shm.Region(self.triton, "sofie_soa_out") if self.shared_memory else None

    def _describe(self, config: dict) -> None:
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        self.max_n = int(config.get("max_batch_size", 0)) or int(params.get("sofie_soa_max_n", 0))
        wire = {soa_wire.BUFFER, soa_wire.COUNT}
        self.inputs = {i["name"]: (numpy_dtype(i["data_type"]), [int(d) for d in i["dims"]])
                       for i in config["input"] if i["name"] not in wire}
        self.outputs = {o["name"]: (numpy_dtype(o["data_type"]), [int(d) for d in o["dims"]])
                        for o in config["output"] if not o["name"].startswith(soa_wire.OUTPUT_PREFIX)}
        layout = params.get("sofie_soa_layout_json")
        self.binding = soa_layout.from_json(json.loads(layout)) if layout else None

    def close(self) -> None:
        """Releases the shared memory regions and the connection."""
        for region in (self._in, self._out):
            if region is not None:
                region.close()
        self.triton.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def infer(self, x, out=None):
        """SoA form for an SoA (or a sofie_soa Tensor of one: its SoA is sent), tensor form otherwise.

        SoA form: `out` (optional) is a Tensor (soa.tensor([...])) or a NumPy array [n, F] with one feature per
        output feature of the model's binding, in order; each returned feature is written into it (same dtype:
        bitwise; float into float of another width: rounded, as infer does; else ValueError). Returns `out`, or
        without it the outputs as NumPy arrays [n, k] (one, or a dict by ONNX output name).
        Tensor form: `x` is an array [n, ...] (one-input models) or a dict by ONNX input name; returns new NumPy
        arrays (one, or a dict for several outputs). ValueError before sending for n beyond the model's max n, a
        wrong layout or a missing input; RemoteError for what the server refuses."""
        if isinstance(x, ss.Tensor):
            x = x.soa
        if isinstance(x, ss.SoA):
            return self._infer_soa(x, out)
        if out is not None:
            raise ValueError("out= is for the SoA form; the tensor form returns new arrays")
        return self._infer_tensors(x)

    def _send(self, inputs: list, outputs: list):
        try:
            if self.protocol == "grpc":
                return self.triton.infer(self.model, inputs, outputs=outputs, client_timeout=self.timeout_s)
            return self.triton.infer(self.model, inputs, outputs=outputs)
        except self._exception as err:
            raise RemoteError(err.message()) from None

    def _input(self, name: str, array: np.ndarray, offset: int):
        tensor = self._tc.InferInput(name, list(array.shape), triton_dtype(array.dtype.name))
        if self._in is None:
            tensor.set_data_from_numpy(array)
        else:
            self._in.view(np.uint8, array.nbytes, offset)[:] = array.reshape(-1).view(np.uint8)
            tensor.set_shared_memory(self._in.name, array.nbytes, offset)
        return tensor

    def _requests(self, arrays: dict, wanted: list) -> tuple:
        """(inputs, outputs, [(name, dtype, shape, offset)]) for named arrays and (name, dtype, shape) outputs."""
        if self._in is not None:
            self._in.ensure(sum(shm.aligned(a.nbytes) for a in arrays.values()) or 1)
            self._out.ensure(sum(shm.aligned(int(np.prod(s)) * np.dtype(d).itemsize) for _, d, s in wanted) or 1)
        inputs, offset = [], 0
        for name, array in arrays.items():
            inputs.append(self._input(name, array, offset))
            offset += shm.aligned(array.nbytes)
        outputs, places, offset = [], [], 0
        for name, dtype, shape in wanted:
            requested = self._tc.InferRequestedOutput(name)
            nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
            if self._out is not None:
                requested.set_shared_memory(self._out.name, nbytes, offset)
            outputs.append(requested)
            places.append((name, dtype, shape, offset))
            offset += shm.aligned(nbytes)
        return inputs, outputs, places

    def _result(self, result, name: str, dtype: str, shape: list, offset: int) -> np.ndarray:
        """The output `name` as a NumPy array (a view of the output region when in shared memory: copy it before
        the next request)."""
        if self._out is None:
            return result.as_numpy(name)
        return self._out.view(dtype, int(np.prod(shape)), offset).reshape(shape)

    def _infer_tensors(self, x) -> object:
        arrays = x if isinstance(x, dict) else {next(iter(self.inputs)): x}
        missing = [name for name in self.inputs if name not in arrays]
        if missing:
            raise ValueError(f"missing input '{missing[0]}' (the model takes {', '.join(self.inputs)})")
        arrays = {name: np.ascontiguousarray(arrays[name]) for name in self.inputs} | \
                 {k: np.ascontiguousarray(v) for k, v in arrays.items() if k not in self.inputs}
        n = next(iter(arrays.values())).shape[0]
        if n > self.max_n:
            raise ValueError(f"input '{next(iter(arrays))}' has n = {n} rows, beyond the model's max n {self.max_n}")
        wanted = [(name, dtype, [n, *dims]) for name, (dtype, dims) in self.outputs.items()]
        inputs, outputs, places = self._requests(arrays, wanted)
        result = self._send(inputs, outputs)
        found = {p[0]: np.array(self._result(result, *p)) for p in places}
        return found if len(found) > 1 else next(iter(found.values()))

    def _infer_soa(self, soa: ss.SoA, out):
        if self.binding is None:
            raise ValueError(f"model {self.model!r} serves no SoA form (its repository was written without "
                             f"--soa-layout)")
        if soa.layout != self.binding.layout:
            raise ValueError(f"the SoA's layout is not the served model's ({self.binding.layout!r})")
        n = soa.n
        if n > self.max_n:
            raise ValueError(f"the SoA holds n = {n} elements, beyond the model's max n {self.max_n}")
        features = self.binding.output_features
        targets = self._targets(out, n, len(features))
        arrays = {soa_wire.BUFFER: soa_wire.buffer_bytes(soa).reshape(1, -1),
                  soa_wire.COUNT: np.array([[n]], np.int64)}
        wanted = [(soa_wire.output_name(label), dtype, [1, n]) for _, label, dtype in features]
        inputs, outputs, places = self._requests(arrays, wanted)
        result = self._send(inputs, outputs)
        columns = [self._result(result, *p).reshape(n) for p in places]
        if targets is None:
            by_output: dict = {}
            for (name, _, _), column in zip(features, columns):
                by_output.setdefault(name, []).append(np.array(column))
            found = {k: np.stack(v, axis=1) for k, v in by_output.items()}
            return found if len(found) > 1 else next(iter(found.values()))
        for target, column, (_, label, _) in zip(targets, columns, features):
            if target.dtype != column.dtype and not (target.dtype.kind == "f" and column.dtype.kind == "f"):
                raise ValueError(f"output feature {label!r} is {column.dtype}; out's feature is {target.dtype}")
            target[...] = column
        return out

    @staticmethod
    def _targets(out, n: int, count: int):
        """NumPy views [n] of each of `out`'s features (no copy), or None without out; ValueError on a mismatch."""
        if out is None:
            return None
        if isinstance(out, ss.Tensor):
            labels = [f[0] for f in out.features]
            if out.soa.device != "cpu":
                raise ValueError(f"out is on {out.soa.device}; the client writes host memory")
            if not out.writable:
                raise ValueError("out is read-only")
            views = [soa_layout.feature_view(out.soa, label) for label in labels]
        else:
            array = np.asarray(out)
            if array.ndim == 1:
                array = array[:, None]
            views = [array[:, i] for i in range(array.shape[1])]
        if len(views) != count or any(v.shape[0] != n for v in views):
            raise ValueError(f"out has {len(views)} features of {views[0].shape[0] if views else 0} rows; the "
                             f"model returns {count} of {n}")
        return views
