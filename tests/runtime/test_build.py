"""Where CUDA builds take cuBLAS from (sofie_soa.runtime.build.cublas_flags): nvcc's CUDA install, else the
nvidia-cublas wheel, else none (with a warning). Fake install trees; nothing is compiled."""

import logging

from sofie_soa.runtime import build


def _tree(root, *files):
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


def test_cuda_install_with_cublas_links_it_by_name(tmp_path):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc", "include/cublas_v2.h")
    assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == ["-DSOFIE_SOA_CUBLAS", "-lcublas"]


def test_the_wheel_is_linked_by_file_with_an_rpath(tmp_path, monkeypatch):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc")
    wheel = _tree(tmp_path / "wheel", "include/cublas_v2.h", "lib/libcublas.so.13", "lib/libcublasLt.so.13")
    monkeypatch.setattr(build, "_wheel_file", lambda dist, name: wheel / "include" / name
                        if (dist, name) == ("nvidia-cublas", "cublas_v2.h") else None)
    lib = wheel / "lib"
    assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == [
        "-DSOFIE_SOA_CUBLAS", f"-I{wheel / 'include'}", f"-L{lib}", "-l:libcublas.so.13", f"-Xlinker=-rpath={lib}"]


def test_without_cublas_sessions_build_without_it_and_say_so(tmp_path, monkeypatch, caplog):
    cuda = _tree(tmp_path / "cuda", "bin/nvcc")
    monkeypatch.setattr(build, "_wheel_file", lambda dist, name: None)
    with caplog.at_level(logging.WARNING, logger="sofie_soa"):
        assert build.cublas_flags(str(cuda / "bin" / "nvcc")) == []
    assert "no cuBLAS found (pip install nvidia-cublas)" in caplog.text
