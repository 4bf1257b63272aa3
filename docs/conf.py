"""Sphinx configuration of the API reference (built by tests/test_docs.py; by hand:
``python3 -m sphinx -b html docs docs/_build/html``)."""

import sys
from pathlib import Path

try:                                   # the installed package (CI), else the checkout's src/ (development)
    import sofie_soa
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import sofie_soa

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
