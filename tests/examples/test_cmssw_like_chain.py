"""The CMS-style Python chain (examples/cmssw_like/chain.py) on a few events: same selection as the copy
pipeline, scores handed to PyTorch without a copy, and the bundled classifier still separates genuine tracks."""

import subprocess
import sys
from pathlib import Path

CHAIN = Path(__file__).resolve().parents[2] / "examples" / "cmssw_like" / "chain.py"


def test_chain_agrees_with_the_copy_pipeline_and_hands_off_without_copy():
    result = subprocess.run([sys.executable, CHAIN, "--events", "5", "--tracks", "2000"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "selections differing from the copy pipeline: 0" in result.stdout
    assert "bytes staged: 0" in result.stdout
    assert "without a copy: True" in result.stdout
    auc = float(result.stdout.split("ROC AUC")[1].split()[0])
    assert auc > 0.9, result.stdout
