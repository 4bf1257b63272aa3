"""Build progress goes to the standard logger "sofie_soa" (runtime/log.py): a start line and an end line with the
duration, at INFO; hosts silence it with the logging module; a program that configures no logging still sees it
on stderr, and one that configures logging sees it once, through its own handlers."""

import logging
import os
import re
import subprocess
import sys

import pytest

from sofie_soa.runtime import build
from sofie_soa.runtime.backends import backend

_UNIT = 'extern "C" __attribute__((visibility("default"))) int sofie_log_probe() { return %d; }\n'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOFIE_SOA_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_build_logs_its_start_and_its_end_with_the_duration_at_info(cache, caplog):
    with caplog.at_level(logging.INFO, logger="sofie_soa"):
        build.build(_UNIT % 1, backend("cpu_serial"), "probe")
    records = [r for r in caplog.records if r.name == "sofie_soa"]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert re.fullmatch(r"compiling probe for cpu_serial \(cached in .*builds/\w+\)", records[0].getMessage())
    assert re.fullmatch(r"compiled probe for cpu_serial in \d+\.\d s", records[1].getMessage())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sofie_soa"):
        build.build(_UNIT % 1, backend("cpu_serial"), "probe")       # cached: nothing to say
    assert not [r for r in caplog.records if r.name == "sofie_soa"]


def test_a_host_silences_build_progress_with_the_logging_module(cache, caplog):
    logger = logging.getLogger("sofie_soa")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with caplog.at_level(logging.DEBUG):                          # the root logger takes everything
            build.build(_UNIT % 2, backend("cpu_serial"), "probe")
    finally:
        logger.setLevel(level)
    assert not [r for r in caplog.records if r.name == "sofie_soa"]


def _run(code: str, cache) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOFIE_SOA_CACHE=str(cache))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def _build_code(n: int) -> str:
    return ("from sofie_soa.runtime import build; from sofie_soa.runtime.backends import backend; "
            f"build.build({_UNIT % n!r}, backend('cpu_serial'), 'probe')")


def test_without_logging_configured_the_progress_goes_to_stderr(cache):
    result = _run(_build_code(3), cache)
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("sofie_soa: compiling probe for cpu_serial (cached in ")
    assert re.fullmatch(r"sofie_soa: compiled probe for cpu_serial in \d+\.\d s", lines[1])
    assert result.stdout == ""


def test_with_logging_configured_the_progress_goes_only_to_the_hosts_handlers(cache):
    code = ("import logging, sys; logging.basicConfig(stream=sys.stdout, format='HOST %(name)s %(message)s'); "
            + _build_code(4))
    result = _run(code, cache)
    assert result.stderr == ""
    assert result.stdout.splitlines()[0].startswith("HOST sofie_soa compiling probe for cpu_serial")
    assert len(result.stdout.splitlines()) == 2
