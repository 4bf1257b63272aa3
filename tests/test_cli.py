"""`python -m sofie_soa`: --version (the project's version), and --help with a real description for the program
and for every subcommand; no arguments prints the help."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import sofie_soa

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _cli(*args) -> str:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], capture_output=True, text=True,
                          check=True).stdout


def test_version_is_the_projects():
    declared = re.search(r'^version = "([^"]+)"', PYPROJECT.read_text(), re.M).group(1)
    assert sofie_soa.__version__ == declared
    assert _cli("--version").strip() == f"sofie_soa {declared}"


def test_the_program_help_describes_it_and_lists_every_subcommand_and_path_option():
    text = _cli("--help")
    assert "compiles ONNX models into alpaka sessions" in text
    for item in ("emit MODEL -o HEADER", "cache list", "cache clear", "--cmake-dir", "--alpaka-include-dirs",
                 "--curand-include-dir", "--cublas-root", "--version", "SOFIE_SOA_CACHE"):
        assert item in text, item
    assert _cli() == text


@pytest.mark.parametrize("command, expected", [
    (["emit"], ["Compile an ONNX model ahead of time", "the ONNX model file", "the header to write",
                "namespace suffix"]),
    (["cache"], ["compiled session libraries", "list the cache's entries", "remove every entry"]),
    (["cache", "list"], ["one line per entry"]),
    (["cache", "clear"], ["Remove the compiled sessions"]),
])
def test_every_subcommand_has_a_help_that_describes_it(command, expected):
    text = " ".join(_cli(*command, "--help").split())        # argparse wraps lines
    for phrase in expected:
        assert phrase in text, phrase


def test_cache_without_an_action_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "sofie_soa", "cache"], capture_output=True, text=True)
    assert result.returncode == 2 and "required" in result.stderr
