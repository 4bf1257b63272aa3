"""Builds the C++ unit tests (cpp/tests) against the installed CMake package and runs them with CTest."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sofie_soa import paths

CPP_TESTS = Path(__file__).resolve().parents[1] / "cpp" / "tests"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake to build the C++ unit tests")
def test_cpp_unit_tests_pass_in_cxx17_and_cxx20(tmp_path):
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", CPP_TESTS, "-B", build, f"-Dsofie_soa_DIR={paths.cmake_dir()}",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", build, "-j2"], check=True, capture_output=True)
    result = subprocess.run(["ctest", "--output-on-failure"], cwd=build, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"100% tests passed.* out of 4\b", result.stdout), result.stdout


def test_cli_prints_cmake_dir_holding_the_package_config():
    out = subprocess.run(["python", "-m", "sofie_soa", "--cmake-dir"], check=True, capture_output=True, text=True)
    cmake_dir = Path(out.stdout.strip())
    assert (cmake_dir / "sofie_soaConfig.cmake").is_file()
    assert (cmake_dir / "sofie_soaTargets.cmake").is_file()
    assert (paths.include_dir() / "sofie_soa" / "core.hpp").is_file()
