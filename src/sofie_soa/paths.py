"""Where the C++ headers and the CMake package config live: inside the installed package, or, when the package
is imported from a source checkout (``PYTHONPATH=src``, for development), in the checkout's ``cpp/`` folder."""

from pathlib import Path

_ROOT = Path(__file__).resolve().parent
_CHECKOUT = _ROOT.parents[1]          # src/sofie_soa -> the repository root, when run from a checkout


def _installed_or_checkout(installed: Path, checkout: Path) -> Path:
    return installed if installed.exists() or not checkout.exists() else checkout


def cmake_dir() -> Path:
    """Directory holding ``sofie_soaConfig.cmake``; give it to CMake as ``sofie_soa_DIR`` (installed packages
    only: the checkout has no generated targets file)."""
    return _ROOT / "cmake"


def include_dir() -> Path:
    """Directory to add to the include path: it holds ``sofie_soa/core.hpp``."""
    return _installed_or_checkout(_ROOT / "include", _CHECKOUT / "cpp" / "include")


def bundled_alpaka_dir() -> Path:
    """alpaka's include directory as fetched into the wheel by ``pip install .`` (absent if the build was offline)."""
    return _ROOT / "alpaka" / "include"
