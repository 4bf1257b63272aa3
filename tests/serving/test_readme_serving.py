"""The README's "Serving" section runs as written: its layout block, its `triton-repo` and `serve` commands (on
free ports, stopped by SIGTERM) and its query block against that server."""

import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("\n## Serving"):README.index("\n## ", README.index("\n## Serving") + 1)]


def _absolute(text: str) -> str:
    return text.replace("examples/cmssw_like", str(ROOT / "examples" / "cmssw_like"))


def _run_python(code: str, cwd) -> None:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def test_install_line_and_commands_are_there():
    commands = [line.strip() for line in SECTION.splitlines() if line.startswith("    python3 ")]
    assert commands[0] == 'python3 -m pip install --no-deps nvidia-pytriton==0.7.0 && python3 -m pip install ' \
                          '"tritonclient[http,grpc]"'
    assert commands[1].startswith("python3 -m sofie_soa triton-repo ") and commands[2].startswith(
        "python3 -m sofie_soa serve ")


def test_serving_section_runs_as_written(tmp_path):
    from sofie_soa.serving.locate import ServerNotFound, find_tritonserver
    from sofie_soa.serving.server import free_port
    pytest.importorskip("tritonclient.grpc", reason="the client needs tritonclient[http,grpc]")
    try:
        find_tritonserver()
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    layout_block, query_block = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    _, write, serve = [line.strip() for line in SECTION.splitlines() if line.startswith("    python3 ")]
    _run_python(_absolute(layout_block), tmp_path)
    result = subprocess.run(_absolute(write).replace("python3", sys.executable, 1).split(), cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    http, grpc = free_port(), free_port()
    command = serve.replace("python3", sys.executable, 1).replace("8000", str(http)).replace("8001", str(grpc))
    server = subprocess.Popen(command.split(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "serve did not become ready in 120 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http}/v2/health/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        _run_python(_absolute(query_block).replace("127.0.0.1:8001", f"127.0.0.1:{grpc}"), tmp_path)
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err[-3000:]
    assert "serving triton_repo" in out and (tmp_path / "triton.log").stat().st_size > 0
