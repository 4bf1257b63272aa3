"""Starts and stops a Triton server over a model repository (``python -m sofie_soa serve``, and the context
manager used by the tests and the benchmark)::

    with Server("repo/") as server:            # free loopback ports, waits until /v2/health/ready
        client = Client(server.grpc_url, "track_classifier")

The binary is found by locate.find_tritonserver (``tritonserver=`` / $SOFIE_SOA_TRITONSERVER, the
``nvidia-pytriton`` wheel's bundled server, then PATH); its Python backend and the stub for this interpreter by
locate.python_backend. The stub runs this interpreter's libpython and sees this process's ``sys.path``
(SOFIE_SOA_PYTHONPATH), so it imports the same sofie_soa and NumPy. Logs go to a file (``log_file``, else
``triton.log`` in a temporary folder kept when start-up fails).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sofie_soa.serving import locate
from sofie_soa.serving.errors import ServerStartError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` now (the OS's choice; another process may take it before the server binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stub_environment(base: dict | None = None, extra_libs: list | None = None) -> dict:
    """The server's environment: `base` (default os.environ) with this interpreter's libpython first on
    LD_LIBRARY_PATH (the stub links libpython3.X.so.1.0), PYTHONHOME = sys.base_prefix, and this process's
    sys.path as SOFIE_SOA_PYTHONPATH (the generated model.py puts it on the stub's path)."""
    env = dict(os.environ if base is None else base)
    libs = [sysconfig.get_config_var("LIBDIR") or ""] + list(extra_libs or [])
    libs += [p for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in libs if p)
    env["PYTHONHOME"] = sys.base_prefix
    env["SOFIE_SOA_PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and Path(p).is_dir())
    return env


class Server:
    """A tritonserver process serving `repository` (a folder written by repository.write_repository).

    http_port / grpc_port: None picks free ports on `host`. tritonserver: the binary (default: locate's search).
    log_file: where the server's output goes. startup_timeout: seconds to wait for readiness (model loads
    included). python_shm_bytes: the Python backend's initial shared memory per instance (bytes). extra_args:
    appended to the command line. Raises locate.ServerNotFound, ServerStartError (from start())."""

    def __init__(self, repository, http_port: int | None = None, grpc_port: int | None = None,
                 tritonserver=None, log_file=None, host: str = "127.0.0.1", startup_timeout: float = 180.0,
                 python_shm_bytes: int = 16 << 20, extra_args: tuple = ()):
        self.repository = Path(repository).resolve()
        if not self.repository.is_dir():
            raise FileNotFoundError(f"model repository {self.repository} is not a folder")
        self.binary = locate.find_tritonserver(tritonserver)
        self.host, self.startup_timeout = host, startup_timeout
        self.http_port = http_port or free_port(host)
        self.grpc_port = grpc_port or free_port(host)
        self._work = Path(tempfile.mkdtemp(prefix="sofie_soa_triton_"))
        self.log_file = Path(log_file) if log_file else self._work / "triton.log"
        self.python_shm_bytes, self.extra_args = python_shm_bytes, tuple(extra_args)
        self.process: subprocess.Popen | None = None

    @property
    def http_url(self) -> str:
        """host:port of the HTTP/REST endpoint (tritonclient's url form)."""
        return f"{self.host}:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        """host:port of the gRPC endpoint."""
        return f"{self.host}:{self.grpc_port}"

    def command(self) -> list:
        """The command line start() runs (assembles the backend folder first)."""
        backends, libs = locate.python_backend(self.binary, self._work)
        self._libs = libs
        return [str(self.binary), f"--model-repository={self.repository}", f"--backend-directory={backends}",
                f"--http-address={self.host}", f"--http-port={self.http_port}",
                f"--grpc-address={self.host}", f"--grpc-port={self.grpc_port}",
                "--allow-metrics=false", "--exit-timeout-secs=10", "--log-verbose=0",
                f"--backend-config=python,shm-default-byte-size={self.python_shm_bytes}",
                *self.extra_args]

    def ready(self) -> bool:
        """True when GET /v2/health/ready answers 200 (every model loaded)."""
        try:
            with urllib.request.urlopen(f"http://{self.http_url}/v2/health/ready", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> "Server":
        """Starts the server and waits until it is ready; ServerStartError (with the log's tail) if it exits or
        is not ready within startup_timeout seconds, after stopping it."""
        cmd = self.command()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=stub_environment(extra_libs=self._libs), start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while not self.ready():
            code = self.process.poll()
            if code is not None or time.monotonic() > deadline:
                why = f"exited with status {code}" if code is not None else \
                      f"not ready after {self.startup_timeout:.0f} s"
                self.stop(keep_log=True)
                raise ServerStartError(f"tritonserver {why}; log {self.log_file}:\n{self.log_tail()}")
            time.sleep(0.2)
        return self

    def log_tail(self, lines: int = 30) -> str:
        """The last `lines` lines of the server's log, without its status tables' rows."""
        try:
            text = self.log_file.read_text(errors="replace").splitlines()
            return "\n".join([t for t in text if t.strip() and t[:1] not in "|+"][-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0, keep_log: bool = False) -> int | None:
        """Stops the server (SIGTERM; after `timeout` seconds SIGKILL to its process group, stubs included);
        returns its exit status (None if it never started). Removes the temporary folder (the backend copies, and
        the default log) except, with keep_log, a default log in it."""
        code = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
            code = self.process.returncode
            self.process = None
        if keep_log and self.log_file.is_relative_to(self._work):
            for child in self._work.iterdir() if self._work.exists() else ():
                if child != self.log_file:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            shutil.rmtree(self._work, ignore_errors=True)
        return code

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
