"""The build cache can be listed and cleared (runtime/cache.py, `python -m sofie_soa cache list|clear`); clearing
removes only the cache's own entries."""

import os
import subprocess
import sys

from sofie_soa.runtime import build, cache
from sofie_soa.runtime.backends import backend

_UNIT = 'extern "C" __attribute__((visibility("default"))) int sofie_cache_probe() { return 7; }\n'


def _cli(*args, env) -> str:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], capture_output=True, text=True, env=env,
                          check=True).stdout


def test_cache_list_shows_builds_and_clear_removes_only_the_caches_entries(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("SOFIE_SOA_CACHE", str(root))
    env = dict(os.environ)
    library = build.build(_UNIT, backend("cpu_serial"), "probe model")
    (root / "alpaka" / "0123456789abcdef" / "include").mkdir(parents=True)
    (root / "alpaka" / "0123456789abcdef" / "include" / "a.hpp").write_text("x" * 100)
    running = root / "builds" / f".tmp-{os.getpid()}-000000000000"       # a build under way
    running.mkdir()
    mine = root / "notes.txt"                                            # not the cache's
    mine.write_text("keep me")

    found = cache.entries()
    assert [(e.kind, e.path) for e in found] == [("build", library.parent),
                                                  ("alpaka", root / "alpaka" / "0123456789abcdef")]
    assert found[0].label == "probe model (cpu_serial)" and found[0].bytes >= library.stat().st_size
    assert found[1].bytes == 100

    listed = _cli("cache", "list", env=env)
    assert "probe model (cpu_serial)" in listed and str(library.parent) in listed
    assert f"2 entries" in listed and str(root) in listed

    cleared = _cli("cache", "clear", env=env)
    assert cleared.startswith("removed 2 entries")
    assert not library.exists() and not (root / "alpaka" / "0123456789abcdef").exists()
    assert running.is_dir() and mine.read_text() == "keep me"
    assert cache.entries() == [] and "0 entries" in _cli("cache", "list", env=env)


def test_an_empty_or_absent_cache_lists_nothing(tmp_path):
    assert cache.entries(tmp_path / "absent") == [] and cache.clear(tmp_path / "absent") == []
