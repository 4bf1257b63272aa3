"""`python -m sofie_soa triton-repo` and `serve`: described helps, a repository written from the command line,
and a clear error (exit status 1) when no server binary is found."""

import os
import subprocess
import sys

from conftest import MODEL


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_both_subcommands_are_listed_and_described():
    assert "triton-repo MODEL -o DIR" in _cli("--help").stdout and "serve DIR" in _cli("--help").stdout
    repo = " ".join(_cli("triton-repo", "--help").stdout.split())
    for phrase in ("config.pbtxt", "--soa-layout", "--max-batch-size", "--instances", "--preferred-batch-size"):
        assert phrase in repo, phrase
    serve = " ".join(_cli("serve", "--help").stdout.split())
    for phrase in ("--http-port", "--grpc-port", "--tritonserver", "--log-file", "Ctrl-C"):
        assert phrase in serve, phrase


def test_triton_repo_writes_a_repository(tmp_path, layout_json):
    result = _cli("triton-repo", str(MODEL), "-o", str(tmp_path), "--name", "tc", "--instances", "3",
                  "--max-batch-size", "512", "--preferred-batch-size", "256", "--soa-layout", str(layout_json))
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "tc" / "config.pbtxt").read_text()
    assert 'name: "tc"' in config and "max_batch_size: 512" in config and "count: 3" in config
    assert "preferred_batch_size: [ 256 ]" in config and (tmp_path / "tc" / "1" / "soa_layout.json").is_file()


def test_serve_without_a_binary_says_how_to_get_one(tmp_path):
    env = dict(os.environ, SOFIE_SOA_TRITONSERVER=str(tmp_path / "no_tritonserver"))
    result = _cli("serve", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "no_tritonserver" in result.stderr and "pip install --no-deps nvidia-pytriton" in result.stderr
