"""The ONNX conformance cases, compiled and run by sofie_soa (used by test_conformance.py and by report.py, which
regenerates the README's conformance table).

Sets: the onnx package's in-memory node cases (onnx.backend.test.case.node.collect_testcases(), without the
`_expanded` function-body forms), and the shipped `pytorch-converted`, `pytorch-operator`, `simple` and `light`
models. Cases compile in batches into shared libraries (runtime/model.py compile_many), a batch that fails to
build is split until the culprit is alone, and every case ends in one outcome:
  pass     every output has the expected dtype and values (rtol, atol of the case; NaN where expected)
  wrong    an output differs in dtype, shape or value
  refused  compile or infer raised ModelError / UnsupportedOperator / ValueError naming why
  crash    anything else (a BuildError, a Python exception): a bug
"""

from __future__ import annotations

import glob
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import build_models, generate

DATA = Path(onnx.__file__).parent / "backend" / "test" / "data"
FILE_SETS = ["pytorch-converted", "pytorch-operator", "simple"]


@dataclass
class Case:
    name: str
    set: str
    model: onnx.ModelProto
    data_sets: list            # (inputs, outputs): lists of arrays in graph order
    rtol: float = 1e-3
    atol: float = 1e-7
    bound: tuple = ()          # names of integer inputs bound at compile time (constants=), see compile_cases

    @property
    def op_type(self) -> str:
        return self.model.graph.node[0].op_type if self.set == "node" else ""


@dataclass
class Outcome:
    status: str                # pass | wrong | refused | crash
    detail: str = ""


def node_cases() -> list[Case]:
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases()
    return [Case(c.name, "node", c.model, [(_arrays(i), _arrays(o)) for i, o in c.data_sets], c.rtol, c.atol)
            for c in cases if "_expanded" not in c.name]


def _arrays(values) -> list:
    """A data set's tensors as NumPy arrays (some cases give TensorProtos, e.g. Cast's float16 data)."""
    return [numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else v for v in values]


def _tensors(directory: str, kind: str) -> list:
    files = sorted(glob.glob(os.path.join(directory, f"{kind}_*.pb")), key=lambda f: int(f.rsplit("_", 1)[1][:-3]))
    return [numpy_helper.to_array(onnx.load_tensor(f)) for f in files]


def file_cases(kind: str) -> list[Case]:
    cases = []
    for model_dir in sorted(glob.glob(str(DATA / kind / "test_*"))):
        sets = [(_tensors(d, "input"), _tensors(d, "output")) for d in sorted(glob.glob(f"{model_dir}/test_data_set_*"))]
        cases.append(Case(os.path.basename(model_dir), kind, onnx.load(f"{model_dir}/model.onnx"), sets))
    return cases


def light_cases() -> list[Case]:
    """The light_* models with the input the onnx runner generates from the input's shape and the shipped output."""
    from onnx.backend.test.runner import Runner
    cases = []
    for path in sorted(glob.glob(str(DATA / "light" / "light_*.onnx"))):
        model = onnx.load(path)
        inputs = [Runner.generate_dummy_data(vi, seed=0) for vi in model.graph.input
                  if vi.name not in {t.name for t in model.graph.initializer}]
        output = numpy_helper.to_array(onnx.load_tensor(path[:-len(".onnx")] + "_output_0.pb"))
        cases.append(Case(Path(path).stem, "light", model, [(inputs, [output])]))
    return cases


def all_cases() -> list[Case]:
    return node_cases() + [c for kind in FILE_SETS for c in file_cases(kind)] + light_cases()


@dataclass
class Compiled:
    models: dict = field(default_factory=dict)      # case name -> Model
    outcomes: dict = field(default_factory=dict)    # case name -> Outcome of a case that did not compile


def _generate(case: Case):
    """The case's session. Where a shape input (a Reshape's target, Slice's starts, Pad's pads ...) is a graph input
    that must be known at compile time, that input (only that one, as the refusal names it) is bound to its first
    data set's value (compile(..., constants=)), as a deployed model would have it as an initializer; each data set
    then must carry the same values (run() checks)."""
    bound = {}
    feeds = _inputs(case, case.data_sets[0][0]) if case.data_sets else {}
    while True:
        try:
            generated = generate(case.model, case.name, constants=bound or None, embed_weights=False)
            case.bound = tuple(bound)
            return generated
        except ss.ModelError as err:
            named = re.search(r"\('([^']*)'\) must be (?:one value )?known at compile time", str(err))
            if named is None or named.group(1) not in feeds or named.group(1) in bound:
                raise
            bound[named.group(1)] = np.asarray(feeds[named.group(1)])


def _refusal(err: Exception) -> Outcome:
    if isinstance(err, (ss.ModelError, ss.UnsupportedOperator)):
        return Outcome("refused", f"{type(err).__name__}: {err}")
    return Outcome("crash", f"{type(err).__name__}: {err}")


def compile_cases(cases: list[Case], backend: str = "cpu_serial", batch: int = 48, workers: int = 2) -> Compiled:
    """Every case generated, then built in batches of `batch` (in `workers` parallel compiler runs); a batch that
    fails to build is split in halves until each failing case is alone (and recorded as a crash)."""
    result = Compiled()
    generated = []
    for case in cases:
        try:
            generated.append((case.name, _generate(case)))
        except Exception as err:  # noqa: BLE001 — every outcome is recorded
            result.outcomes[case.name] = _refusal(err)

    def build(group):
        try:
            models = build_models([g for _, g in group], backend, [n for n, _ in group])
            return [(name, model, None) for (name, _), model in zip(group, models)]
        except Exception as err:  # noqa: BLE001
            if len(group) == 1:
                return [(group[0][0], None, Outcome("crash", f"{type(err).__name__}: {str(err)[:2000]}"))]
            half = len(group) // 2
            return build(group[:half]) + build(group[half:])

    groups = [generated[i:i + batch] for i in range(0, len(generated), batch)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for built in pool.map(build, groups):
            for name, model, outcome in built:
                if model is not None:
                    result.models[name] = model
                else:
                    result.outcomes[name] = outcome
    return result


def _inputs(case: Case, arrays: list) -> dict:
    initialized = {t.name for t in case.model.graph.initializer}
    names = [vi.name for vi in case.model.graph.input if vi.name not in initialized]
    return dict(zip(names, arrays))


def run(case: Case, model, queue) -> Outcome:
    """Runs every data set of `case` on `model` and compares with the expected outputs as the onnx runner does."""
    names = [o.name for o in case.model.graph.output]
    for inputs, expected in case.data_sets:
        try:
            feeds = _inputs(case, inputs)
            first = _inputs(case, case.data_sets[0][0])
            if any(not np.array_equal(feeds[k], first[k]) for k in case.bound):
                return Outcome("refused", f"inputs {list(case.bound)} are bound at compile time; data sets differ")
            feeds = {k: v for k, v in feeds.items() if k not in case.bound}
            got = model.infer(feeds if len(feeds) != 1 else next(iter(feeds.values())), queue)
        except (ValueError, ss.ModelError) as err:
            return Outcome("refused", f"{type(err).__name__}: {err}")
        except Exception as err:  # noqa: BLE001
            return Outcome("crash", f"{type(err).__name__}: {err}")
        got = got if isinstance(got, dict) else {names[0]: got}
        for name, want in zip(names, expected):
            have = np.asarray(got[name])
            want = np.asarray(want)
            if have.dtype != want.dtype:
                return Outcome("wrong", f"output '{name}' has dtype {have.dtype}, expected {want.dtype}")
            if have.shape != want.shape:
                return Outcome("wrong", f"output '{name}' has shape {have.shape}, expected {want.shape}")
            try:
                if want.dtype.kind in "fc":
                    np.testing.assert_allclose(have, want, rtol=case.rtol, atol=case.atol, equal_nan=True)
                else:
                    np.testing.assert_array_equal(have, want)
            except AssertionError as err:
                return Outcome("wrong", f"output '{name}': {str(err).strip().splitlines()[-1][:300]}")
    return Outcome("pass")


def evaluate(cases: list[Case], backend: str = "cpu_serial") -> dict:
    """Outcome per case name."""
    compiled = compile_cases(cases, backend)
    queue = ss.Queue(backend)
    outcomes = dict(compiled.outcomes)
    for case in cases:
        if case.name in compiled.models:
            outcomes[case.name] = run(case, compiled.models[case.name], queue)
    return outcomes


def summary(cases: list[Case], outcomes: dict) -> dict:
    """Per set (node, then the file sets, then light): (pass, total, refused, wrong, crash)."""
    result = {}
    for case in cases:
        row = result.setdefault(case.set, [0, 0, 0, 0, 0])
        status = outcomes[case.name].status
        row[1] += 1
        row[{"pass": 0, "refused": 2, "wrong": 3, "crash": 4}[status]] += 1
    return {k: tuple(v) for k, v in result.items()}
