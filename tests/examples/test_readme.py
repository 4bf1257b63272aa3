"""The README runs as written: "Your first model" (both exporters) executes and prints what its comments say;
`.ci/run` calls exactly the README's test command; the main job's install takes no CUDA wheel."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def _python_blocks(title: str) -> list:
    return re.findall(r"```python\n(.*?)```", _section(title), re.S)


def _indented_commands(title: str) -> list:
    return [line.strip() for line in _section(title).splitlines() if line.startswith("    python3 ")]


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOFIE_SOA_CACHE=os.environ.get("SOFIE_SOA_CACHE", str(cwd / "cache")))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env)


def test_your_first_model_runs_as_written_with_the_legacy_exporter(tmp_path):
    pytest.importorskip("torch", reason="the README's first model is exported from PyTorch")
    script = _python_blocks("Your first model")[0]
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = result.stdout.splitlines()
    assert printed[0] == "<sofie_soa.Model 'classifier.onnx' on cpu_serial: (x: float32[n, 3]) -> (score: float32[n, 1])>"
    assert printed[0] in script                        # the comment in the README shows the same line
    assert printed[1] == "[TensorInfo(name='x', shape=('n', 3), dtype='float32')]" and printed[1] in script
    assert "FixedBatchWarning" not in result.stderr


def test_your_first_model_runs_with_the_dynamo_exporter(tmp_path):
    pytest.importorskip("torch", reason="the README's first model is exported from PyTorch")
    pytest.importorskip("onnxscript", reason="torch.onnx.export(dynamo=True) needs onnxscript")
    script, dynamo = _python_blocks("Your first model")
    legacy = re.search(r"torch\.onnx\.export\(.*?dynamo=False\)\n", script, re.S).group(0)
    result = _run(script.replace(legacy, dynamo), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(x: float32[n, 3]) -> (score: float32[n, 1])" in result.stdout
    assert "FixedBatchWarning" not in result.stderr


def test_ci_runs_exactly_the_readmes_test_command():
    main_job, tests = _indented_commands("Quick start")
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip().startswith("python3 ")]
    assert ci == [tests]
    assert tests.endswith("python3 -m pytest -q") and "requirements-dev.txt" in tests


def test_the_main_job_installs_only_the_examples_extra_without_cuda_wheels():
    main_job, _ = _indented_commands("Quick start")
    assert main_job.startswith('python3 -m pip install ".[examples]"')
    assert main_job.endswith("python3 examples/cmssw_like/chain.py") and "requirements-dev" not in main_job
    extra = re.search(r"^examples = \[(.*?)\]", (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert "nvidia" not in extra and "cuda" not in extra.lower()
    assert "torch" not in extra                                    # torch's Linux wheels pull CUDA wheels
