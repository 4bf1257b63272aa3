"""Sphinx configuration of the API reference (built by tests/test_docs.py; by hand:
``python3 -m sphinx -b html docs docs/_build/html``)."""

import sys
from pathlib import Path

# The checkout's src/ when it holds a built extension (development: _core*.so copied there), else the installed
# package (CI installs the wheel; src/ then has no extension to import).
_SRC = Path(__file__).resolve().parents[1] / "src"
if any((_SRC / "sofie_soa").glob("_core*.so")):
    sys.path.insert(0, str(_SRC))
import sofie_soa  # noqa: E402

project = "sofie_soa"
author = "sofie_soa developers"
copyright = "sofie_soa developers, Apache-2.0"
release = version = sofie_soa.__version__

# autodoc only: the docstrings are prose, not Google/NumPy sections, and napoleon would read a property's
# "where the buffer is: 'cpu' or 'cuda:N'" as a type annotation.
extensions = ["sphinx.ext.autodoc"]
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
