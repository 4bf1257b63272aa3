"""The CMS-style chains of examples/cmssw_like on a few events. Python: same selection as the copy pipeline,
scores handed to PyTorch without a copy, the bundled classifier still separates genuine tracks; the jet tagger
over ragged views of the candidates agrees with gather/pad -> onnxruntime and separates b from light jets. C++:
built with CMake against the installed package (session headers emitted by the build), same selection and same
jet tags on one stream and on two, a selection as pure as the classifier's ROC promises, b jets tagged far more
often than light ones."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cmssw_like"
CHAIN = EXAMPLE / "chain.py"


def _cli(*args) -> str:
    return subprocess.run([sys.executable, "-m", "sofie_soa", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake to build the C++ chain")
def test_cpp_chain_selects_the_same_tracks_on_one_and_two_streams(tmp_path):
    """Configured with nothing but sofie_soa_DIR (as the README says): the package finds its bundled alpaka and
    Boost.Predef itself and makes the empty build type Release."""
    configure = subprocess.run(["cmake", "-S", EXAMPLE / "cpp", "-B", tmp_path, f"-Dsofie_soa_DIR={_cli('--cmake-dir')}",
                                f"-DPython3_EXECUTABLE={sys.executable}"], capture_output=True, text=True)
    assert configure.returncode == 0, configure.stdout[-3000:] + configure.stderr[-3000:]
    cache = (tmp_path / "CMakeCache.txt").read_text()
    assert "CMAKE_BUILD_TYPE:STRING=Release" in cache
    alpaka = re.search(r"^SOFIE_SOA_ALPAKA_INCLUDE_DIR:PATH=(.*)$", cache, re.M).group(1)
    assert Path(alpaka, "alpaka", "alpaka.hpp").is_file()
    boost = re.search(r"^SOFIE_SOA_BOOST_INCLUDE_DIR:PATH=(.*)$", cache, re.M).group(1)
    assert Path(boost, "boost", "predef.h").is_file()
    build = subprocess.run(["cmake", "--build", tmp_path], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    usage = subprocess.run([tmp_path / "cmssw_like_chain", "--help"], capture_output=True, text=True, timeout=10)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: cmssw_like_chain") and "events/s" in usage.stdout
    wrong = subprocess.run([tmp_path / "cmssw_like_chain", "--event", "3"], capture_output=True, text=True, timeout=10)
    assert wrong.returncode == 2 and "unknown option --event" in wrong.stderr
    outputs = []
    for streams in ("1", "2"):
        run = subprocess.run([tmp_path / "cmssw_like_chain", "--streams", streams, "--events", "20", "--tracks",
                              "3000"], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        outputs.append(run.stdout.splitlines()[-2:])
    assert outputs[0] == outputs[1]                      # events are reproducible whichever stream runs them
    tags, selection = outputs[0]
    purity, efficiency = map(float, re.search(r"purity ([\d.]+), efficiency ([\d.]+)", selection).groups())
    assert purity > 0.85 and efficiency > 0.9, selection
    b, light = map(float, re.search(r"b efficiency ([\d.]+), light mistag rate ([\d.]+)", tags).groups())
    assert tags.startswith("tagged 600 jets") and b > 0.4 and light < 0.1, tags


def test_chain_agrees_with_the_copy_pipeline_and_hands_off_without_copy():
    result = subprocess.run([sys.executable, CHAIN, "--events", "5", "--tracks", "2000"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "selections differing from the copy pipeline: 0" in result.stdout
    assert "bytes staged: 0" in result.stdout
    assert "without a copy: True" in result.stdout
    auc = float(result.stdout.split("ROC AUC")[1].split()[0])
    assert auc > 0.9, result.stdout
    jets = result.stdout.split("jet tagger step alone")[1]
    differing = int(jets.split("by more than 1e-4 in probability:")[1].split()[0])
    assert differing == 0 and "bytes staged: 0" in jets
    assert float(jets.split("b vs light ROC AUC")[1].split()[0]) > 0.8, jets
