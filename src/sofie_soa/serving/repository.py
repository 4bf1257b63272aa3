"""Writes a Triton model repository that serves an ONNX model through sofie_soa (``python -m sofie_soa
triton-repo``)::

    repo/NAME/config.pbtxt          Python backend; inputs/outputs with the ONNX names, dtypes and shapes;
                                    dynamic batcher; K CPU instances; the sofie_soa parameters
    repo/NAME/1/model.py            imports serving.triton_model.TritonPythonModel
    repo/NAME/1/model.onnx          a copy of the model
    repo/NAME/1/soa_layout.json     the SoA binding, with --soa-layout only (enables the SoA form); also in
                                    config.pbtxt's parameter sofie_soa_layout_json, where clients read it

Triton's batch dimension is the element count n: every ONNX input and output must be [n, d1, ...] with fixed
d1, ...; max_batch_size is the largest n a request may carry (elements).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from sofie_soa.serving import soa_layout, soa_wire
from sofie_soa.serving.dtypes import config_dtype

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

_MODEL_PY = '''"""Triton Python-backend model written by `python -m sofie_soa triton-repo`: sofie_soa serves {onnx!r}."""
import os
import sys

# The stub's interpreter ignores PYTHONPATH; honour it (and SOFIE_SOA_PYTHONPATH) so the server's sofie_soa is found.
for _p in reversed((os.environ.get("SOFIE_SOA_PYTHONPATH", "") + os.pathsep + os.environ.get("PYTHONPATH", "")).split(os.pathsep)):
    if _p and _p not in sys.path:
        sys.path.insert(0, _p)

from sofie_soa.serving.triton_model import TritonPythonModel  # noqa: E402,F401
'''


def _dims(info) -> list:
    shape = info.shape
    if not shape or isinstance(shape[0], int) or shape[0] != "n" or not all(isinstance(d, int) for d in shape[1:]):
        raise ValueError(f"{info.name!r} has shape {list(shape)}; serving needs [n, d1, ...] with fixed d1, ... "
                         f"(Triton's batch dimension is the element count n)")
    return list(shape[1:]) or [1]


def _tensor(name: str, dtype: str, dims: list, extra: str = "") -> str:
    return (f'  {{ name: "{name}" data_type: {config_dtype(dtype)} dims: [ {", ".join(map(str, dims))} ]'
            f'{extra} }}')


def config_text(model, name: str, backend: str, max_batch_size: int, instances: int,
                binding: soa_layout.SoABinding | None, preferred: list, queue_delay_us: int, session: str) -> str:
    """config.pbtxt for a compiled `model` (sofie_soa.Model), compiled under the session name `session`. ValueError for shapes serving cannot batch, an
    ONNX name that collides with the SoA form's, or a binding that does not match the model's inputs/outputs."""
    optional = " optional: true" if binding is not None else ""
    inputs, outputs = [], []
    for info in model.inputs:
        if info.name in (soa_wire.BUFFER, soa_wire.COUNT):
            raise ValueError(f"input {info.name!r} collides with the SoA form's input of that name")
        inputs.append(_tensor(info.name, info.dtype, _dims(info), optional))
    for info in model.outputs:
        if info.name.startswith(soa_wire.OUTPUT_PREFIX):
            raise ValueError(f"output {info.name!r} collides with the SoA form's outputs ({soa_wire.OUTPUT_PREFIX}*)")
        outputs.append(_tensor(info.name, info.dtype, _dims(info)))
    if binding is not None:
        if list(binding.inputs) != [i.name for i in model.inputs] and set(binding.inputs) != {i.name for i in model.inputs}:
            raise ValueError(f"the SoA layout's inputs {list(binding.inputs)} are not the model's "
                             f"{[i.name for i in model.inputs]}")
        if set(binding.outputs) != {o.name for o in model.outputs}:
            raise ValueError(f"the SoA layout's outputs {list(binding.outputs)} are not the model's "
                             f"{[o.name for o in model.outputs]}")
        inputs.append(_tensor(soa_wire.BUFFER, "uint8", [-1], " optional: true allow_ragged_batch: true"))
        inputs.append(_tensor(soa_wire.COUNT, "int64", [1], " optional: true"))
        for _, label, dtype in binding.output_features:
            outputs.append(_tensor(soa_wire.output_name(label), dtype, [-1]))
    layout_json = json.dumps(binding.to_json(), separators=(",", ":")) if binding is not None else ""
    params = {"sofie_soa_onnx": "model.onnx", "sofie_soa_session": session, "sofie_soa_backend": backend, "sofie_soa_max_n": str(max_batch_size),
              "sofie_soa_layout": "soa_layout.json" if binding is not None else "",
              "sofie_soa_layout_json": layout_json.replace("\\", "\\\\").replace('"', '\\"')}
    batcher = f"max_queue_delay_microseconds: {queue_delay_us}"
    if preferred:
        batcher = f"preferred_batch_size: [ {', '.join(map(str, preferred))} ] " + batcher
    lines = [f'name: "{name}"', 'backend: "python"', f"max_batch_size: {max_batch_size}",
             "input [", ",\n".join(inputs), "]", "output [", ",\n".join(outputs), "]",
             f"instance_group [ {{ count: {instances} kind: KIND_CPU }} ]",
             f"dynamic_batching {{ {batcher} }}"]
    lines += [f'parameters: {{ key: "{k}" value: {{ string_value: "{v}" }} }}' for k, v in params.items()]
    return "\n".join(lines) + "\n"


def write_repository(model_path, output, name: str | None = None, backend: str = "cpu_serial",
                     max_batch_size: int = 10_000, instances: int = 2, soa_layout_path=None,
                     preferred_batch_sizes: list | None = None, queue_delay_us: int = 100) -> Path:
    """Writes NAME/ under `output` (module docstring) and returns its path. The model is compiled here (into
    the build cache, so the server's instances load it at start, on a machine with the same cache and CPU).
    max_batch_size: the largest n per request (elements, 1 <= B < 2**31); instances: Triton model instances
    (>= 1); preferred_batch_sizes: the dynamic batcher's (rows; default none, batches as queued).

    Raises ValueError for a bad name or number, shapes that cannot be served (see _dims), or a layout that does
    not match; sofie_soa.ModelError / BuildError as sofie_soa.compile; OSError for unreadable files."""
    import sofie_soa as ss
    model_path = Path(model_path)
    name = name or model_path.stem
    if not _NAME.match(name):
        raise ValueError(f"model name {name!r}: use letters, digits, '_', '.', '-'")
    if not 1 <= max_batch_size < 2**31:
        raise ValueError(f"max_batch_size {max_batch_size} is outside 1..2**31-1")
    if instances < 1:
        raise ValueError(f"instances must be >= 1, got {instances}")
    preferred = sorted(set(preferred_batch_sizes or []))
    if any(not 1 <= p <= max_batch_size for p in preferred):
        raise ValueError(f"preferred batch sizes {preferred} must lie in 1..{max_batch_size}")
    binding = soa_layout.load(soa_layout_path) if soa_layout_path else None
    session = model_path.stem            # the same session name at load keeps the build cache's key
    model = ss.compile(model_path, backend, name=session)
    text = config_text(model, name, backend, max_batch_size, instances, binding, preferred, queue_delay_us, session)
    folder = Path(output) / name
    version = folder / "1"
    version.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_path, version / "model.onnx")
    (version / "model.py").write_text(_MODEL_PY.format(onnx=model_path.name))
    if binding is not None:
        soa_layout.save(binding, version / "soa_layout.json")
    (folder / "config.pbtxt").write_text(text)
    return folder
