"""compile() and Model: an ONNX model compiled to an alpaka session library, run on SoA views in place."""

from __future__ import annotations

import ctypes
import functools
import os
import threading
import weakref
from pathlib import Path

import numpy as np

from sofie_soa import _core
from sofie_soa.codegen.emitter import emit_header
from sofie_soa.codegen.lowering import features, lower
from sofie_soa.codegen import PLAN_PASSES
from sofie_soa.codegen.memory_planner import memory_report
from sofie_soa.compiler import frontend, passes
from sofie_soa.compiler.ir import N
from sofie_soa.runtime.backends import backend as find_backend
from sofie_soa.runtime.build import build
from sofie_soa.runtime.queue import Queue, load_library

_ENTRY = ('#include "session.hpp"\n#define SOFIE_SOA_TAG {tag}\n#define SOFIE_SOA_SESSION {namespace}::Session\n'
          '#include "sofie_soa/runtime/c_entry.hpp"\n')


def generate(model, name: str = "model"):
    """(header text, plans, C++ namespace) of the session for `model` (path, bytes or onnx.ModelProto); plans
    maps "cpu" and "gpu" to the lowered Plan after that target's PLAN_PASSES."""
    graph = passes.optimize(frontend.to_ir(frontend.load_model(model)))
    plans = {}
    for target, target_passes in PLAN_PASSES.items():
        plan = lower(graph)
        for plan_pass in target_passes:
            plan = plan_pass(plan)
        plans[target] = plan
    namespace = "sofie_soa_generated::" + "".join(c if c.isalnum() else "_" for c in name)
    return emit_header(plans, namespace, name), plans, namespace


def compile(model, backend: str = "cpu_serial", name: str | None = None) -> "Model":
    """Compiles an ONNX model (path, bytes or ModelProto) into a session for `backend` (cpu_serial,
    cpu_threads, cpu_omp2_blocks, cuda — nvcc, sm_80 and sm_90). The shared library is built once and cached
    by content hash.

    Raises sofie_soa.ModelError for corrupt or unsupported models (UnsupportedOperator names node, op type and
    opset), ValueError for an unknown backend, BuildError if the C++ compiler fails."""
    spec = find_backend(backend)
    label = name or (Path(model).name if isinstance(model, (str, os.PathLike)) else "model")
    header, plans, namespace = generate(model, label)
    return build_model(header, plans["gpu" if spec.cuda else "cpu"], namespace, spec.name, label)


def build_model(header: str, plan, namespace: str, backend: str, label: str) -> "Model":
    """The Model of a generated session header (built, or found in the build cache); `plan` is the one the
    header runs on `backend`."""
    spec = find_backend(backend)
    library = build(_ENTRY.format(tag=spec.tag, namespace=namespace), spec, label, {"session.hpp": header})
    return Model(load_library(library), plan, spec.name, label)


def _zeros(output_shapes, cuda: bool, n: int, index: int, like):
    """A zeroed float32 [n, ...] array for output `index`: NumPy on CPU back-ends; on CUDA, a PyTorch tensor on
    the device of the first input `like`."""
    shape = (n,) + tuple(output_shapes[index][1:])
    if cuda:
        import torch
        return torch.zeros(shape, dtype=torch.float32, device=like.device)
    return np.zeros(shape, np.float32)


class Model:
    """A compiled session. ``infer(inputs, queue, out=None)`` reads inputs in place and writes outputs in place."""

    def __init__(self, lib, plan, backend: str, name: str):
        self._lib, self.backend, self.name = lib, backend, name
        self.input_names = [n for n, _, _ in plan.inputs]
        self.output_names = [n for n, _ in plan.outputs]
        self.input_shapes = [s for _, s, _ in plan.inputs]
        self.output_shapes = [s for _, s in plan.outputs]
        self._plan = plan
        self._cuda = find_backend(backend).cuda
        self._infer_fn = ctypes.cast(lib.sofie_session_infer, ctypes.c_void_p).value
        self._wait_fn = ctypes.cast(lib.sofie_queue_wait, ctypes.c_void_p).value
        self._order_fn = ctypes.cast(lib.sofie_queue_order_stream, ctypes.c_void_p).value
        self._sessions = {}
        self._runners = {}    # Queue.serial -> _core.Runner, dropped with the queue
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

    def _runner(self, queue: Queue):
        """The C++ per-call path (sofie_soa._core.Runner) for this queue, made on its first use."""
        if not isinstance(queue, Queue) or queue.backend != self.backend:
            raise ValueError(f"the queue is a {getattr(queue, 'backend', type(queue).__name__)} queue, the model "
                             f"was compiled for {self.backend}")
        runner = _core.Runner(self.input_names, self.output_names, [features(s) for s in self.input_shapes],
                              [features(s) for s in self.output_shapes],
                              [-1 if s[0] == N else s[0] for s in self.input_shapes],
                              f"cuda:{queue.device}" if self._cuda else "cpu", queue.native_handle,
                              self._infer_fn, self._wait_fn, self._session(queue), queue.handle,
                              functools.partial(_zeros, tuple(self.output_shapes), self._cuda),
                              self._order_fn, queue)
        self._runners[queue.serial] = runner
        weakref.finalize(queue, self._runners.pop, queue.serial, None)
        return runner

    def infer(self, inputs, queue: Queue, out=None):
        """Runs the model on `inputs` on `queue` and waits for it, except in one case: on CUDA, when every input
        and output is a view of a device SoA, it returns once the work is enqueued (as CMS producers run). The
        SoAs then order their next users after it: torch/cupy.from_dlpack(soa.tensor([...])) by an event on the
        consumer's stream, inference on another queue likewise, and soa[name] or freeing the SoA by waiting.

        inputs: a sofie_soa Tensor (soa.tensor([...])) or any DLPack or buffer-protocol array of shape [n, ...],
        or a dict keyed by ONNX input name. out: the same for outputs (written in place); without it, new float32
        arrays are returned (NumPy; PyTorch on CUDA). Returns the outputs (one, or a dict for several). Every
        check runs before anything is enqueued (sofie_soa._core.Runner): ValueError for a feature count, n,
        dtype, device or writability mismatch, for missing or extra names, and for a queue of another backend."""
        runner = self._runners.get(getattr(queue, "serial", None))
        if runner is None:
            runner = self._runner(queue)
        return runner(inputs, out)
