"""The API reference (docs/, Sphinx autodoc) builds without a warning and documents every public name of
sofie_soa, so it cannot rot. Skips where Sphinx is not installed (requirements-dev.txt installs it)."""

import subprocess
import sys
from pathlib import Path

import pytest

import sofie_soa

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_api_reference_builds_warning_free_and_covers_every_public_name(tmp_path):
    pytest.importorskip("sphinx", reason="building the API reference needs sphinx (requirements-dev.txt)")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    api = (tmp_path / "api.html").read_text()
    missing = [name for name in sofie_soa.__all__ if f'id="sofie_soa.{name}"' not in api]
    assert not missing, f"not in docs/api.rst: {missing}"
    for documented in ("sofie_soa.SoA.allocate", "sofie_soa.SoA.wrap", "sofie_soa.Model.infer",
                       "sofie_soa.runtime.cache.clear"):
        assert f'id="{documented}"' in api, documented
    assert "nb_func object" not in api                     # nanobind functions documented as functions
    assert "dynamic dimension" in api                      # FixedBatchWarning's docstring made it in
    assert (tmp_path / "cli.html").is_file()
