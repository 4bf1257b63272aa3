"""Where the installed C++ headers and CMake package config live (inside the Python package)."""

from pathlib import Path

_ROOT = Path(__file__).resolve().parent


def cmake_dir() -> Path:
    """Directory holding ``sofie_soaConfig.cmake``; give it to CMake as ``sofie_soa_DIR``."""
    return _ROOT / "cmake"


def include_dir() -> Path:
    """Directory to add to the include path: it holds ``sofie_soa/core.hpp``."""
    return _ROOT / "include"


def bundled_alpaka_dir() -> Path:
    """alpaka's include directory as fetched into the wheel by ``pip install .`` (absent if the build was offline)."""
    return _ROOT / "alpaka" / "include"
