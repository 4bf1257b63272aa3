"""Where generated sessions find alpaka: the user's alpaka first, else the copy bundled into the wheel at install
time (so that no compile waits on the network), else the user cache."""

import pytest

from sofie_soa import paths
from sofie_soa.runtime import alpaka_headers


def test_the_wheel_carries_alpaka_so_compiles_never_download():
    bundled = paths.bundled_alpaka_dir()
    assert (bundled / "alpaka" / "alpaka.hpp").is_file(), "pip install . should have fetched alpaka into the wheel"
    assert (bundled.parent / "LICENSE").is_file()                     # MPL-2.0 travels with the headers
    assert alpaka_headers.alpaka_include_dir() == bundled


def test_the_users_alpaka_comes_first(tmp_path, monkeypatch):
    (tmp_path / "include" / "alpaka").mkdir(parents=True)
    (tmp_path / "include" / "alpaka" / "alpaka.hpp").write_text("// a user's alpaka\n")
    monkeypatch.setenv("alpaka_ROOT", str(tmp_path))
    assert alpaka_headers.alpaka_include_dir() == tmp_path / "include"
    monkeypatch.setenv("SOFIE_SOA_ALPAKA_INCLUDE", str(tmp_path / "nowhere"))
    with pytest.raises(alpaka_headers.AlpakaNotFound, match="SOFIE_SOA_ALPAKA_INCLUDE=.*nowhere holds neither"):
        alpaka_headers.alpaka_include_dir()
