"""compile() and Model: an ONNX model compiled to an alpaka session library, run on SoA views in place."""

from __future__ import annotations

import ctypes
import functools
import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sofie_soa import _core
from sofie_soa.codegen import PLAN_PASSES
from sofie_soa.codegen.emitter import emit_header, namespace_of, weight_blob
from sofie_soa.codegen.launches_indexing import INDEX_ERROR
from sofie_soa.codegen.lowering import lower
from sofie_soa.codegen.memory_planner import memory_report
from sofie_soa.compiler import frontend, passes
from sofie_soa.compiler.symbolic import SymN
from sofie_soa.runtime.backends import backend as find_backend
from sofie_soa.runtime.build import build
from sofie_soa.runtime.default_queue import default_queue
from sofie_soa.runtime.fixed_batch import warn_if_fixed_batch
from sofie_soa.runtime.queue import Queue, load_library

_ENTRY_HEAD = "#define SOFIE_SOA_TAG {tag}\n#include \"sofie_soa/runtime/c_entry.hpp\"\n"


class IndexOutOfRange(ValueError):
    """An index read from data (Gather, GatherElements, GatherND, ScatterElements, ScatterND) lay outside its
    axis at run time; the message names the node. The kernel skipped it, so nothing was read or written outside
    a buffer, but the outputs are incomplete."""


@dataclass(frozen=True)
class Generated:
    """A model's session header and the Plans it holds ("cpu", "gpu"), in C++ namespace `namespace`. A header
    generated without its weights (embed_weights=False) takes them at session construction: `weights`, the
    plan's weight bytes (codegen/emitter.py weight_blob); None when the header holds them."""
    header: str
    plans: dict
    namespace: str
    weights: bytes | None = None


def generate(model, name: str = "model", dims: dict | None = None, base_dir=None,
             constants: dict | None = None, embed_weights: bool = True) -> Generated:
    """The session of `model` (path, bytes or onnx.ModelProto) as a C++ header (compiler/, codegen/): each target's
    Plan after its PLAN_PASSES. `dims` fixes dynamic dimensions other than the element count by name
    (compiler/frontend.py resolve_dims); `base_dir` is where a model given as bytes keeps its external data;
    `constants` binds graph inputs to values at compile time (frontend.bind_inputs). `embed_weights` false keeps
    the weights out of the header (the JIT path: the C++ compiler never parses them, and the build cache serves
    every model of the same graph whatever its weights)."""
    graph = passes.optimize(frontend.to_ir(frontend.load_model(model, base_dir), dims, constants))
    plans = {}
    for target, target_passes in PLAN_PASSES.items():
        plan = lower(graph)
        for plan_pass in target_passes:
            plan = plan_pass(plan)
        plans[target] = plan
    header = emit_header(plans, name, name, embed_weights)
    return Generated(header, plans, namespace_of(name), None if embed_weights else weight_blob(plans["cpu"]))


def _label(model, name) -> str:
    return name or (Path(model).name if isinstance(model, (str, os.PathLike)) else "model")


def compile(model, backend: str = "cpu_serial", name: str | None = None, dims: dict | None = None,
            constants: dict | None = None) -> "Model":
    """Compiles an ONNX model (path, bytes or ModelProto) into a session for `backend` (cpu_serial, cpu_threads,
    cpu_omp2_blocks, cuda — nvcc, sm_80 and sm_90). The shared library is built once and cached by content hash.
    `dims` fixes dynamic dimensions other than the element count, by the names the model gives them
    (compile(model, dims={"P": 64})). `constants` gives graph inputs a value at compile time
    ({name: NumPy array} of the input's dtype and shape): they are then no inputs of the session, and shape
    inputs — a Reshape's target, Slice's starts, Unsqueeze's axes fed as graph inputs — fold.

    Raises sofie_soa.ModelError for corrupt or unsupported models (UnsupportedOperator names node, op type and
    opset), ValueError for an unknown backend, BuildError if the C++ compiler is missing or fails, AlpakaNotFound
    if no alpaka headers can be found or fetched. Warns with sofie_soa.FixedBatchWarning when no input has a
    dynamic dimension (the model then runs on exactly its declared shapes). Build progress ("compiling …",
    "compiled … in X s") goes to the logger "sofie_soa" at INFO (runtime/log.py)."""
    return compile_many([model], backend, names=[name], dims=dims, constants=constants)[0]


def compile_many(models: list, backend: str = "cpu_serial", names: list | None = None,
                 dims: dict | None = None, constants: dict | None = None) -> list:
    """Compiles several models into one shared library (one compiler run: what they share is instantiated once),
    returning one Model each. Errors as compile()."""
    spec = find_backend(backend)
    labels = [_label(m, n) for m, n in zip(models, names or [None] * len(models))]
    taken: set = set()
    generated = []
    for k, (model, label) in enumerate(zip(models, labels)):
        name = label if namespace_of(label) not in taken else f"{label}#{k}"
        taken.add(namespace_of(name))
        generated.append(generate(model, name, dims, constants=constants, embed_weights=False))
    models = build_models(generated, spec.name, labels)
    for compiled in models:
        warn_if_fixed_batch(compiled.name, compiled.inputs)
    return models


def build_models(generated: list, backend: str, labels: list) -> list:
    """The Models of generated session headers, built together (or found in the build cache) for `backend`."""
    spec = find_backend(backend)
    source = _ENTRY_HEAD.format(tag=spec.tag) + "".join(
        f'#include "session_{k}.hpp"\nSOFIE_SOA_SESSION_ENTRY({k}, {g.namespace}::Session)\n'
        for k, g in enumerate(generated))
    files = {f"session_{k}.hpp": g.header for k, g in enumerate(generated)}
    label = labels[0] if len(labels) == 1 else f"{len(labels)} models"
    lib = load_library(build(source, spec, label, files))
    return [Model(lib, k, g.plans["gpu" if spec.cuda else "cpu"], spec.name, labels[k], g.weights)
            for k, g in enumerate(generated)]


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: its ONNX name, shape (ints, and "n" — or "2n" — for the element count) and dtype
    (a NumPy name)."""
    name: str
    shape: tuple
    dtype: str


def _shape_info(shape) -> tuple:
    return tuple(("n" if d.c == 1 else f"{d.c}n") if isinstance(d, SymN) else int(d) for d in shape)


def _signature(binding) -> tuple:
    """(name, dtype, dims with -c for c·N, row axis, features) as the C++ Runner takes it."""
    dims = [-d.c if isinstance(d, SymN) else int(d) for d in binding.shape]
    return (binding.name, binding.dtype, dims, binding.row_axis, binding.features)


def _zeros(outputs, cuda: bool, n: int, index: int, like):
    """A zeroed array for output `index` with n elements: NumPy on CPU back-ends; on CUDA, a PyTorch tensor on the
    device of the first input `like`."""
    info = outputs[index]
    shape = tuple(n * int(d[:-1] or 1) if isinstance(d, str) else d for d in info.shape)
    if cuda:
        import torch
        return torch.zeros(shape, dtype=getattr(torch, {"bool": "bool"}.get(info.dtype, info.dtype)),
                           device=like.device)
    return np.zeros(shape, info.dtype)


class Model:
    """A compiled session. ``infer(inputs, queue=None, out=None)`` reads inputs in place and writes outputs in
    place (without a queue: this thread's default queue of the back-end, and the call waits).

    ``inputs`` / ``outputs``: TensorInfo records (name, shape with "n" — or "2n" — for the element count, dtype),
    in ONNX order, like onnxruntime's ``get_inputs()``; ``backend`` and ``name`` as compiled. The repr shows them:
    ``<sofie_soa.Model 'm.onnx' on cpu_serial: (x: float32[n, 4]) -> (y: float32[n, 3])>``."""

    def __init__(self, lib, index: int, plan, backend: str, name: str, weights: bytes | None = None):
        self._lib, self.backend, self.name = lib, backend, name
        self._weights = weights   # the weight bytes a header without them takes at session construction
        self.inputs = [TensorInfo(b.name, _shape_info(b.shape), b.dtype) for b in plan.inputs]
        self.outputs = [TensorInfo(b.name, _shape_info(b.shape), b.dtype) for b in plan.outputs]
        self._signatures = ([_signature(b) for b in plan.inputs], [_signature(b) for b in plan.outputs])
        self._plan = plan
        self._cuda = find_backend(backend).cuda
        vp, err = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_size_t]
        self._create = getattr(lib, f"sofie_session_create_{index}")
        self._create.restype, self._create.argtypes = vp, [vp, vp, ctypes.c_char_p, *err]
        self._destroy = getattr(lib, f"sofie_session_destroy_{index}")
        self._destroy.argtypes = [vp]
        self._infer_fn = ctypes.cast(getattr(lib, f"sofie_session_infer_{index}"), vp).value
        self._wait_fn = ctypes.cast(lib.sofie_queue_wait, vp).value
        self._order_fn = ctypes.cast(lib.sofie_queue_order_stream, vp).value
        self._sessions = {}
        self._runners = {}    # Queue.serial -> _core.Runner, dropped with the queue
        self._lock = threading.Lock()

    @property
    def input_names(self) -> list[str]:
        """The ONNX names of the inputs, in order (the keys of a dict given to infer)."""
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """The ONNX names of the outputs, in order (the keys of the dict infer returns for several)."""
        return [t.name for t in self.outputs]

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
                handle = self._create(queue.handle, queue.allocator.handle, self._weights, error, len(error))
                if not handle:
                    raise RuntimeError(f"creating the session of {self.name} failed: {error.value.decode()}")
                self._sessions[key] = (handle, queue.allocator)   # the allocator must outlive the session
            return self._sessions[key][0]

    def __del__(self):
        for handle, _ in getattr(self, "_sessions", {}).values():
            self._destroy(handle)

    def _runner(self, queue: Queue):
        """The C++ per-call path (sofie_soa._core.Runner) for this queue, made on its first use."""
        if not isinstance(queue, Queue) or queue.backend != self.backend:
            raise ValueError(f"the queue is a {getattr(queue, 'backend', type(queue).__name__)} queue, the model "
                             f"was compiled for {self.backend}")
        runner = _core.Runner(*self._signatures, f"cuda:{queue.device}" if self._cuda else "cpu",
                              queue.native_handle, self._infer_fn, self._wait_fn, self._session(queue), queue.handle,
                              functools.partial(_zeros, tuple(self.outputs), self._cuda), self._order_fn, queue)
        self._runners[queue.serial] = runner
        weakref.finalize(queue, self._runners.pop, queue.serial, None)
        return runner

    def infer(self, inputs, queue: Queue | None = None, out=None, cast: str | None = None):
        """Runs the model on `inputs` on `queue` and waits for it, except in one case: on CUDA, when every input
        and output is a view of a device SoA, it returns once the work is enqueued (as CMS producers run). The
        SoAs then order their next users after it: torch/cupy.from_dlpack(soa.tensor([...])) by an event on the
        consumer's stream, inference on another queue likewise, and soa[name] or freeing the SoA by waiting.

        inputs: a sofie_soa Tensor (soa.tensor([...])) or any DLPack or buffer-protocol array with the input's
        shape (or [n, ...] with as many trailing elements), or a dict keyed by ONNX input name. out: the same for
        outputs (written in place); without it, new arrays of each output's dtype are returned (NumPy; PyTorch on
        CUDA). Returns the outputs (one, or a dict for several).

        Columns of another dtype than the model's tensor are converted on the fly where no information is lost
        (core/dtype.hpp `lossless`: float to float, integer to float, widening integers); cast="saturate" also
        allows the others (float into integer or bool, narrowing integers: round half to even, clamp, NaN to 0).
        Every check runs before anything is enqueued (sofie_soa._core.Runner): ValueError for a shape, feature
        count, n, dtype, device or writability mismatch, outputs that overlap or broadcast, missing or extra
        names, and a queue of another backend. IndexOutOfRange (a ValueError naming the node) when an index read
        from data is out of range: such models wait for their work, whatever the inputs.

        Without `queue` (quick interactive use), the call runs on this thread's default queue of the model's
        back-end on device 0 (runtime/default_queue.py) and always waits for its work, on CUDA too. Programs
        that overlap work, or use another device, pass their own Queue."""
        if cast not in (None, "saturate"):
            raise ValueError(f"cast must be None or 'saturate', got {cast!r}")
        blocking = queue is None
        if blocking:
            queue = default_queue(self.backend)
        runner = self._runners.get(getattr(queue, "serial", None))
        if runner is None:
            runner = self._runner(queue)
        try:
            result = runner(inputs, out, cast == "saturate")
        except RuntimeError as err:       # a kernel met an index out of range (SessionBase::enqueue_checked)
            if INDEX_ERROR not in str(err):
                raise
            raise IndexOutOfRange(str(err).removeprefix("inference failed: ")) from None
        if blocking and self._cuda:
            queue.wait()
        return result

    def __repr__(self) -> str:
        show = lambda ts: ", ".join(f"{t.name}: {t.dtype}[{', '.join(map(str, t.shape))}]" for t in ts)  # noqa
        return f"<sofie_soa.Model {self.name!r} on {self.backend}: ({show(self.inputs)}) -> ({show(self.outputs)})>"
