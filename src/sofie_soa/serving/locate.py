"""Finds a tritonserver binary and a Python backend whose stub matches this interpreter.

Order: the explicit path (``--tritonserver PATH`` / ``tritonserver=``), $SOFIE_SOA_TRITONSERVER, the server
bundled in the ``nvidia-pytriton`` wheel (found from its package folder without importing pytriton, which
pins NumPy < 2), then ``tritonserver`` on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from sofie_soa.serving.errors import ServerNotFound

HOW_TO_GET = ("install NVIDIA's wheel that bundles tritonserver 2.51 and its Python backend, without its NumPy<2 "
              "pin:  python3 -m pip install --no-deps nvidia-pytriton==0.7.0   (Linux x86-64, glibc >= 2.35); or "
              "pass --tritonserver PATH / set SOFIE_SOA_TRITONSERVER to a Triton install's bin/tritonserver")


def bundled_root() -> Path | None:
    """The ``tritonserver`` folder of an installed nvidia-pytriton wheel (bin/, backends/, python_backend_stubs/),
    or None."""
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0]) / "tritonserver"
    return root if (root / "bin" / "tritonserver").is_file() else None


def find_tritonserver(explicit=None) -> Path:
    """The tritonserver binary to run (module docstring's order). ServerNotFound when there is none, or when an
    explicit / $SOFIE_SOA_TRITONSERVER path is not an executable file."""
    for given, origin in ((explicit, "the given path"), (os.environ.get("SOFIE_SOA_TRITONSERVER"),
                                                        "$SOFIE_SOA_TRITONSERVER")):
        if given:
            path = Path(given)
            if path.is_file() and os.access(path, os.X_OK):
                return path.resolve()
            raise ServerNotFound(f"{origin} {path} is not an executable tritonserver; {HOW_TO_GET}")
    root = bundled_root()
    if root is not None:
        return root / "bin" / "tritonserver"
    on_path = shutil.which("tritonserver")
    if on_path:
        return Path(on_path).resolve()
    raise ServerNotFound(f"no tritonserver found (looked at $SOFIE_SOA_TRITONSERVER, the nvidia-pytriton package, "
                         f"PATH); {HOW_TO_GET}")


def python_backend(binary: Path, work: Path) -> tuple:
    """(backend directory for --backend-directory, extra library folders for LD_LIBRARY_PATH) for `binary`.

    For the nvidia-pytriton layout, assembles ``work/backends/python`` from the wheel's libtriton_python.so,
    triton_python_backend_utils.py and the stub built for this interpreter (python_backend_stubs/3.X), as pytriton
    itself does; the wheel's shared libraries (nvidia_pytriton.libs) go on the library path because the copies
    leave their $ORIGIN rpath. For another install, its own ``backends`` folder (its stub must match this Python).
    ServerNotFound when neither exists or no stub is built for this Python version."""
    root = binary.parent.parent
    stubs = root / "python_backend_stubs"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if stubs.is_dir():
        stub = stubs / version / "triton_python_backend_stub"
        if not stub.is_file():
            have = sorted(p.name for p in stubs.iterdir() if p.is_dir() and p.name[0].isdigit())
            raise ServerNotFound(f"{stubs} has no Python-backend stub for Python {version} (it has {', '.join(have)})")
        target = work / "backends" / "python"
        target.mkdir(parents=True, exist_ok=True)
        for src in (root / "backends" / "python" / "libtriton_python.so",
                    root / "backends" / "python" / "triton_python_backend_utils.py", stub):
            shutil.copy2(src, target / src.name)
        return work / "backends", [str(root.parent.parent / "nvidia_pytriton.libs")]
    if (root / "backends" / "python").is_dir():
        return root / "backends", []
    raise ServerNotFound(f"{binary} has no Python backend next to it ({root / 'backends' / 'python'}); {HOW_TO_GET}")
