"""Finding the server binary and assembling the Python backend for this interpreter."""

import sys

import pytest

from sofie_soa.serving import locate


def test_a_wrong_explicit_path_says_how_to_get_a_server(tmp_path):
    with pytest.raises(locate.ServerNotFound) as err:
        locate.find_tritonserver(tmp_path / "nothing")
    assert "nothing" in str(err.value) and "pip install --no-deps nvidia-pytriton" in str(err.value)


def test_the_environment_variable_is_honoured(tmp_path, monkeypatch):
    fake = tmp_path / "tritonserver"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SOFIE_SOA_TRITONSERVER", str(fake))
    assert locate.find_tritonserver() == fake.resolve()
    monkeypatch.setenv("SOFIE_SOA_TRITONSERVER", str(tmp_path / "missing"))
    with pytest.raises(locate.ServerNotFound, match="SOFIE_SOA_TRITONSERVER"):
        locate.find_tritonserver()


def test_nothing_found_anywhere(monkeypatch):
    monkeypatch.delenv("SOFIE_SOA_TRITONSERVER", raising=False)
    monkeypatch.setattr(locate, "bundled_root", lambda: None)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(locate.ServerNotFound, match="no tritonserver found"):
        locate.find_tritonserver()


def test_bundled_backend_gets_this_pythons_stub(tmp_path):
    root = locate.bundled_root()
    if root is None:
        pytest.skip("nvidia-pytriton is not installed (python3 -m pip install --no-deps nvidia-pytriton==0.7.0)")
    backends, libs = locate.python_backend(root / "bin" / "tritonserver", tmp_path)
    python = backends / "python"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert (python / "triton_python_backend_stub").read_bytes() == \
        (root / "python_backend_stubs" / version / "triton_python_backend_stub").read_bytes()
    assert (python / "libtriton_python.so").is_file() and all(p.endswith("nvidia_pytriton.libs") for p in libs)
