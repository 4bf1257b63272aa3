"""The ``triton-repo`` and ``serve`` subcommands of ``python -m sofie_soa`` (added to its parser by
add_parsers, run by run)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path


def add_parsers(sub) -> None:
    """Adds ``triton-repo`` and ``serve`` to the subparsers `sub` of ``python -m sofie_soa``."""
    repo = sub.add_parser(
        "triton-repo", help="write a Triton model repository serving an ONNX model through sofie_soa",
        description="Write OUTPUT/NAME/config.pbtxt and a Python-backend model (OUTPUT/NAME/1/model.py) that runs "
                    "the compiled sofie_soa session on every request: the tensor form (one input per ONNX input, "
                    "[n, ...]) and, with --soa-layout, the SoA form (the collection's buffer as one UINT8 tensor "
                    "and n). The model is compiled now, into the build cache the server's instances load from.")
    repo.add_argument("model", type=Path, help="the ONNX model file")
    repo.add_argument("-o", "--output", type=Path, required=True, help="the model repository folder")
    repo.add_argument("--name", help="the Triton model name (default: the model file's stem)")
    repo.add_argument("--backend", default="cpu_serial", help="sofie_soa back-end (default cpu_serial)")
    repo.add_argument("--max-batch-size", type=int, default=10_000,
                      help="the largest n per request, in elements (Triton's max_batch_size; default 10000)")
    repo.add_argument("--instances", type=int, default=2, help="model instances (default 2)")
    repo.add_argument("--preferred-batch-size", type=int, action="append", default=[], metavar="ROWS",
                      help="a preferred batch size of the dynamic batcher, in rows (repeatable; default none)")
    repo.add_argument("--max-queue-delay-us", type=int, default=100,
                      help="the dynamic batcher's max queue delay (microseconds, default 100)")
    repo.add_argument("--soa-layout", type=Path, help="layout JSON (sofie_soa/serving/soa_layout.py): the SoA "
                                                      "layout and the features of each input and output")

    serve = sub.add_parser(
        "serve", help="run tritonserver on a model repository until interrupted",
        description="Start the nvidia-pytriton wheel's tritonserver (or --tritonserver PATH, "
                    "$SOFIE_SOA_TRITONSERVER, PATH) on REPOSITORY, wait until every model is ready, print the "
                    "endpoints, and stop cleanly on Ctrl-C or SIGTERM.")
    serve.add_argument("repository", type=Path, help="a folder written by triton-repo")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--http-port", type=int, default=8000, help="HTTP/REST port (default 8000)")
    serve.add_argument("--grpc-port", type=int, default=8001, help="gRPC port (default 8001)")
    serve.add_argument("--tritonserver", type=Path, help="the tritonserver binary to run")
    serve.add_argument("--log-file", type=Path, default=Path("triton.log"), help="server log (default triton.log)")
    serve.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for readiness (default 300)")


def run(args: argparse.Namespace) -> int:
    """Runs a parsed ``triton-repo`` or ``serve`` command; returns the exit status (1 with a message on stderr
    for a missing repository or server binary, or a failed start)."""
    if args.command == "triton-repo":
        from sofie_soa.serving.repository import write_repository
        folder = write_repository(args.model, args.output, args.name, args.backend, args.max_batch_size,
                                  args.instances, args.soa_layout, args.preferred_batch_size,
                                  args.max_queue_delay_us)
        print(f"wrote {folder}/config.pbtxt and {folder}/1/model.py (serve it: python -m sofie_soa serve "
              f"{args.output})")
        return 0
    from sofie_soa.serving.server import Server, ServerStartError
    try:
        server = Server(args.repository, args.http_port, args.grpc_port, args.tritonserver, args.log_file,
                        args.host, args.timeout)
        server.start()
    except (FileNotFoundError, ServerStartError) as err:     # ServerNotFound is a FileNotFoundError
        print(f"python -m sofie_soa serve: {err}", file=sys.stderr)
        return 1
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print(f"serving {args.repository}: HTTP {server.http_url}, gRPC {server.grpc_url}; log {server.log_file} "
          f"(Ctrl-C stops)", flush=True)
    try:
        while not stop and server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    code = server.process.poll()
    server.stop()
    if code is not None:
        print(f"tritonserver exited with status {code}; see {args.log_file}", file=sys.stderr)
        return 1
    return 0
