"""Locates the alpaka headers generated sessions compile against.

Order (alpaka.md in the project reference): the user's alpaka first — the environment variable
``SOFIE_SOA_ALPAKA_INCLUDE`` or ``alpaka_ROOT`` (a directory holding ``include/alpaka/alpaka.hpp`` or
``alpaka/alpaka.hpp``) — else the alpaka tree carried by the CLUEstering 2.5.0 sdist on the package index pip is
configured with (alpaka develop 9716c567, MPL-2.0), sha256-verified. ``pip install .`` fetches that tree into the
wheel (this file run as a script, from CMakeLists.txt), so compiling a session never waits on the network; if the
build was offline, it is downloaded once at first use into the user cache instead. Raises AlpakaNotFound with what
was tried when nothing works (offline, say).

    python alpaka_headers.py --into DIR     unpack the alpaka headers into DIR/include (build time)
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tarfile
import urllib.request
import sys
from pathlib import Path

log = logging.getLogger("sofie_soa")   # configured by sofie_soa.runtime.log; this file also runs as a script

SDIST_NAME = "CLUEstering-2.5.0.tar.gz"
SDIST_SHA256 = "7d4574b64d482b533bae95f6b3495ebfcfd7793d026b0797c5801827d6567e6d"
_MEMBER_PREFIX = "CLUEstering-2.5.0/extern/alpaka/"


class AlpakaNotFound(RuntimeError):
    """No alpaka headers could be found or fetched."""


def _user_include() -> Path | None:
    for var in ("SOFIE_SOA_ALPAKA_INCLUDE", "alpaka_ROOT"):
        root = os.environ.get(var)
        if not root:
            continue
        for candidate in (Path(root) / "include", Path(root)):
            if (candidate / "alpaka" / "alpaka.hpp").is_file():
                return candidate
        raise AlpakaNotFound(f"{var}={root} holds neither include/alpaka/alpaka.hpp nor alpaka/alpaka.hpp")
    return None


def _index_url() -> str:
    """The index pip is configured with (PIP_INDEX_URL or pip's configuration), else pip's default."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        try:
            from pip._internal.configuration import Configuration
            config = Configuration(isolated=False)
            config.load()
            url = dict(config.items()).get("global.index-url")
        except Exception:  # pip absent or its internals changed: fall back to its documented default
            url = None
    return (url or "https://pypi.org/simple").rstrip("/")


def _download_sdist() -> bytes:
    index = _index_url()
    request = urllib.request.Request(f"{index}/cluestering/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    entry = next((f for f in files if f["filename"] == SDIST_NAME), None)
    if entry is None:
        raise AlpakaNotFound(f"{SDIST_NAME} is not listed by the package index {index}")
    with urllib.request.urlopen(entry["url"], timeout=300) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SDIST_SHA256:
        raise AlpakaNotFound(f"{SDIST_NAME} has sha256 {digest}, expected {SDIST_SHA256}")
    return data


def _unpack(data: bytes, target: Path) -> None:
    staging = target.with_name(target.name + f".tmp{os.getpid()}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            rel = member.name[len(_MEMBER_PREFIX):] if member.name.startswith(_MEMBER_PREFIX) else None
            if rel is None or not (rel.startswith("include/") or rel == "LICENSE") or not member.isfile():
                continue
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())
    os.replace(staging, target)


def alpaka_include_dir() -> Path:
    """Directory to put on the include path so that ``#include <alpaka/alpaka.hpp>`` works."""
    user = _user_include()
    if user is not None:
        return user
    from sofie_soa import paths
    from sofie_soa.runtime.cache import cache_root
    if (paths.bundled_alpaka_dir() / "alpaka" / "alpaka.hpp").is_file():
        return paths.bundled_alpaka_dir()
    target = cache_root() / "alpaka" / SDIST_SHA256[:16]
    if not (target / "include" / "alpaka" / "alpaka.hpp").is_file():
        log.info("fetching alpaka headers from %s (once)", SDIST_NAME)
        try:
            data = _download_sdist()
        except OSError as err:
            raise AlpakaNotFound(
                f"no alpaka headers: set SOFIE_SOA_ALPAKA_INCLUDE or alpaka_ROOT to your alpaka, or go online once "
                f"so that {SDIST_NAME} can be fetched into {target} ({err})") from err
        target.parent.mkdir(parents=True, exist_ok=True)
        _unpack(data, target)
    return target / "include"


if __name__ == "__main__":   # build time: python alpaka_headers.py --into DIR
    if len(sys.argv) != 3 or sys.argv[1] != "--into":
        sys.exit(__doc__)
    into = Path(sys.argv[2])
    if not (into / "include" / "alpaka" / "alpaka.hpp").is_file():
        into.parent.mkdir(parents=True, exist_ok=True)
        _unpack(_download_sdist(), into)
