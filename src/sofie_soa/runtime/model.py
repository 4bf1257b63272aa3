"""compile() and Model: an ONNX model compiled to an alpaka session library, run on SoA views in place."""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

import numpy as np

from sofie_soa import _core
from sofie_soa.codegen.emitter import emit_header
from sofie_soa.codegen.lowering import features, lower
from sofie_soa.codegen.memory_planner import memory_report, plan_memory
from sofie_soa.compiler import frontend, passes
from sofie_soa.compiler.ir import N
from sofie_soa.runtime.backends import backend as find_backend
from sofie_soa.runtime.build import build
from sofie_soa.runtime.queue import Queue, load_library

_ENTRY = ('#include "session.hpp"\n#define SOFIE_SOA_TAG {tag}\n#define SOFIE_SOA_SESSION {namespace}::Session\n'
          '#include "sofie_soa/runtime/c_entry.hpp"\n')


class FeatureRef(ctypes.Structure):
    """Mirror of sofie_soa::kernels::FeatureRef: address, element stride, DType code."""
    _fields_ = [("data", ctypes.c_void_p), ("stride", ctypes.c_int64), ("dtype", ctypes.c_uint8)]


def generate(model, name: str = "model"):
    """(header text, plan) of the session for `model` (path, bytes or onnx.ModelProto)."""
    graph = passes.optimize(frontend.to_ir(frontend.load_model(model)))
    plan = plan_memory(lower(graph))
    namespace = "sofie_soa_generated::" + "".join(c if c.isalnum() else "_" for c in name)
    return emit_header(plan, namespace, name), plan, namespace


def compile(model, backend: str = "cpu_serial", name: str | None = None) -> "Model":
    """Compiles an ONNX model (path, bytes or ModelProto) into a session for `backend` (cpu_serial,
    cpu_threads, cpu_omp2_blocks). The shared library is built once and cached by content hash.

    Raises sofie_soa.ModelError for corrupt or unsupported models (UnsupportedOperator names node, op type and
    opset), ValueError for an unknown backend, BuildError if the C++ compiler fails."""
    spec = find_backend(backend)
    label = name or (Path(model).name if isinstance(model, (str, os.PathLike)) else "model")
    header, plan, namespace = generate(model, label)
    library = build(_ENTRY.format(tag=spec.tag, namespace=namespace), spec, label, {"session.hpp": header})
    return Model(load_library(library), plan, spec.name, label)


class Model:
    """A compiled session. ``infer(inputs, queue, out=None)`` reads inputs in place and writes outputs in place."""

    def __init__(self, lib, plan, backend: str, name: str):
        self._lib, self.backend, self.name = lib, backend, name
        self.input_names = [n for n, _, _ in plan.inputs]
        self.output_names = [n for n, _ in plan.outputs]
        self.input_shapes = [s for _, s, _ in plan.inputs]
        self.output_shapes = [s for _, s in plan.outputs]
        self._plan = plan
        self._sessions = {}
        self._lock = threading.Lock()

    def memory_report(self, n: int) -> dict:
        """The planned workspace for element count n (bytes): planned_bytes, naive_bytes (every intermediate
        tensor in its own buffer) and per-tensor offset_bytes and bytes (sofie_soa.codegen.memory_planner)."""
        return memory_report(self._plan, n)

    def _session(self, queue: Queue):
        """The session for the queue's device and allocator, built on first use (weights copied once)."""
        key = (queue.device, queue.allocator.handle)
        with self._lock:
            if key not in self._sessions:
                error = ctypes.create_string_buffer(1024)
                handle = self._lib.sofie_session_create(queue.handle, queue.allocator.handle, error, len(error))
                if not handle:
                    raise RuntimeError(f"creating the session of {self.name} failed: {error.value.decode()}")
                self._sessions[key] = (handle, queue.allocator)   # the allocator must outlive the session
            return self._sessions[key][0]

    def __del__(self):
        for handle, _ in getattr(self, "_sessions", {}).values():
            self._lib.sofie_session_destroy(handle)

    def _bind(self, value, name: str, shape: tuple, writable: bool):
        """(n, FeatureRef array, keep-alive) of an input or output given as a sofie_soa Tensor or a DLPack array."""
        want = features(shape)
        if isinstance(value, _core.Tensor):
            if writable and not value.writable:
                raise ValueError(f"output '{name}': the SoA view is read-only")
            feats = [(address, dtype, stride) for _, dtype, address, stride in value.features]
            n, keep = value.n, value
        else:
            array = np.from_dlpack(value)
            if writable and not array.flags.writeable:
                raise ValueError(f"output '{name}': the array is read-only")
            if array.ndim == 0:
                raise ValueError(f"'{name}': a 0-d array has no element dimension")
            n, item = array.shape[0], array.itemsize
            if any(s % item for s in array.strides):
                raise ValueError(f"'{name}': strides {array.strides} are not multiples of the itemsize {item}")
            trailing = array.shape[1:]
            feats = []
            for index in np.ndindex(*trailing):
                offset = sum(i * s for i, s in zip(index, array.strides[1:]))
                feats.append((array.ctypes.data + offset, array.dtype.name, array.strides[0] // item))
            keep = array
        if len(feats) != want:
            raise ValueError(f"'{name}' has {len(feats)} features, the model expects {want} (shape {shape})")
        refs = (FeatureRef * max(len(feats), 1))()
        for i, (address, dtype, stride) in enumerate(feats):
            if dtype not in _core.DTYPE_CODES:
                raise ValueError(f"'{name}': dtype {dtype} has no conversion to float")
            if writable and dtype == "float16":
                raise ValueError(f"output '{name}': float16 output columns are not supported; use float32 or float64")
            refs[i] = FeatureRef(address, stride, _core.DTYPE_CODES[dtype])
        return n, refs, keep

    @staticmethod
    def _as_dict(value, names, what):
        if isinstance(value, dict):
            missing = set(names) - set(value)
            extra = set(value) - set(names)
            if missing or extra:
                raise ValueError(f"{what}: expected keys {names}, got {sorted(value)}")
            return value
        if len(names) != 1:
            raise ValueError(f"{what}: the model has {len(names)} of them ({names}); pass a dict keyed by name")
        return {names[0]: value}

    def infer(self, inputs, queue: Queue, out=None):
        """Runs the model on `inputs` on `queue` and waits for it.

        inputs: a sofie_soa Tensor (soa.tensor([...])) or any DLPack array of shape [n, ...], or a dict keyed by
        ONNX input name. out: the same for outputs (written in place); without it, new float32 NumPy arrays are
        returned. Returns the outputs (one, or a dict for several). Every check runs before anything is
        enqueued: ValueError for a feature count, n, dtype or writability mismatch; ValueError for a queue of
        another backend."""
        if not isinstance(queue, Queue) or queue.backend != self.backend:
            raise ValueError(f"the queue is a {getattr(queue, 'backend', type(queue).__name__)} queue, the model "
                             f"was compiled for {self.backend}")
        given = self._as_dict(inputs, self.input_names, "inputs")
        bound = [self._bind(given[name], name, shape, False) for name, shape in zip(self.input_names, self.input_shapes)]
        n = bound[0][0] if bound else 0
        for (m, _, _), name, shape in zip(bound, self.input_names, self.input_shapes):
            if m != n:
                raise ValueError(f"input '{name}' has n = {m}, input '{self.input_names[0]}' has n = {n}")
            if shape[0] != N and m != shape[0]:
                raise ValueError(f"input '{name}' has n = {m}; the model has a fixed batch of {shape[0]}")
        if out is None:
            outputs = {name: np.zeros((n,) + tuple(shape[1:]), np.float32)
                       for name, shape in zip(self.output_names, self.output_shapes)}
        else:
            outputs = self._as_dict(out, self.output_names, "out")
        out_bound = [self._bind(outputs[name], name, shape, True) for name, shape in zip(self.output_names,
                                                                                         self.output_shapes)]
        for (m, _, _), name in zip(out_bound, self.output_names):
            if m != n:
                raise ValueError(f"output '{name}' has n = {m}, the inputs have n = {n}")
        in_ptrs = (ctypes.c_void_p * max(len(bound), 1))(*[ctypes.addressof(r) for _, r, _ in bound])
        out_ptrs = (ctypes.c_void_p * max(len(out_bound), 1))(*[ctypes.addressof(r) for _, r, _ in out_bound])
        error = ctypes.create_string_buffer(1024)
        if self._lib.sofie_session_infer(self._session(queue), queue.handle, n, in_ptrs, out_ptrs, error, len(error)):
            raise RuntimeError(f"inference of {self.name} failed: {error.value.decode()}")
        queue.wait()
        return outputs[self.output_names[0]] if len(self.output_names) == 1 else outputs
