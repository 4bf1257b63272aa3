"""What a user gets besides the code: LICENSE and CHANGELOG in the repository; in the installed wheel, the license
text, py.typed and the _core stubs made by nanobind's stubgen, and filled-in metadata. The wheel checks run where
sofie_soa is imported from an installed wheel (CI: `pip install .` then pytest) and skip in source-tree mode."""

import ast
import importlib.metadata
from pathlib import Path

import pytest

import sofie_soa

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(sofie_soa.__file__).parent
installed = pytest.mark.skipif(PACKAGE == ROOT / "src" / "sofie_soa",
                               reason="sofie_soa is imported from src/ (source-tree mode): no wheel to inspect")


def test_the_repository_has_the_apache_license_and_a_changelog():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert 'license = { text = "Apache-2.0" }' in (ROOT / "pyproject.toml").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog") and f"## [{sofie_soa.__version__}]" in changelog
    assert (ROOT / "src" / "sofie_soa" / "py.typed").is_file()


@installed
def test_the_wheel_ships_the_license_py_typed_and_stubs():
    files = {str(f) for f in importlib.metadata.files("sofie_soa")}
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files), sorted(files)[:20]
    assert (PACKAGE / "py.typed").is_file()
    stub = ast.parse((PACKAGE / "_core.pyi").read_text())
    declared = {node.name for node in stub.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    assert {"Layout", "Member", "SoA", "Tensor", "column", "scalar", "eigen_column"} <= declared


@installed
def test_the_wheel_metadata_names_license_and_authors():
    meta = importlib.metadata.metadata("sofie_soa")
    assert meta["License"] == "Apache-2.0" and meta["Version"] == sofie_soa.__version__
    assert "sofie_soa developers" in (meta.get("Author-email") or meta.get("Author") or "")
    assert "examples" in meta.get_all("Provides-Extra")
