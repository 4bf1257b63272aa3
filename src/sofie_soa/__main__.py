"""sofie_soa's command line: emit a model's C++ session header, check a model, manage the build cache, and print the paths a C++
build needs (``python -m sofie_soa --help``; each subcommand has its own ``--help``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

_DESCRIPTION = """\
sofie_soa compiles ONNX models into alpaka sessions that read and write Structure-of-Arrays columns in place.

Subcommands:
  emit MODEL -o HEADER     write the C++ session header of an ONNX model (ahead of time, for C++ producers)
  check MODEL              list every node that keeps an ONNX model from compiling, with the reason (exit
                           status 1), or say that it compiles; builds nothing
  cache list               list the compiled sessions and fetched headers in the cache, with their sizes
  cache clear              remove them (they are rebuilt on next use)
  triton-repo MODEL -o DIR write a Triton model repository serving MODEL through sofie_soa (tensor and SoA
                           request forms)
  serve DIR                run tritonserver on that repository until interrupted

Paths for C++ builds (each prints one line):
  --cmake-dir, --include-dir, --alpaka-include-dirs, --curand-include-dir, --cublas-root
"""

_EPILOG = """\
The cache is $SOFIE_SOA_CACHE, else $XDG_CACHE_HOME/sofie_soa, else ~/.cache/sofie_soa.
Build messages go to the Python logger "sofie_soa" (INFO: compiling, compiled in X s)."""


def _parser() -> argparse.ArgumentParser:
    from sofie_soa import __version__
    parser = argparse.ArgumentParser(prog="python -m sofie_soa", description=_DESCRIPTION, epilog=_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sofie_soa {__version__}")
    paths = parser.add_argument_group("paths for C++ builds")
    paths.add_argument("--cmake-dir", action="store_true",
                       help="print the directory of sofie_soaConfig.cmake (for -Dsofie_soa_DIR=...)")
    paths.add_argument("--include-dir", action="store_true", help="print the C++ include directory")
    paths.add_argument("--alpaka-include-dirs", action="store_true",
                       help="print alpaka's and Boost.Predef's include directories as a CMake list (A;B), "
                            "fetching alpaka once if needed")
    paths.add_argument("--curand-include-dir", action="store_true",
                       help="print the directory of curand_kernel.h if nvcc's CUDA lacks it (nvidia-curand wheel); "
                            "empty when nvcc's CUDA has it")
    paths.add_argument("--cublas-root", action="store_true",
                       help="print cuBLAS's root (include/, lib/) if nvcc's CUDA lacks it (nvidia-cublas wheel); "
                            "empty when nvcc's CUDA has it or none is installed")
    sub = parser.add_subparsers(dest="command", metavar="{emit,check,cache,triton-repo,serve}")

    emit = sub.add_parser(
        "emit", help="write the C++ session header of an ONNX model",
        description="Compile an ONNX model ahead of time into a C++17 header holding "
                    "sofie_soa_generated::<name>::Session<TAcc, TQueue> (weights included), for C++ code that links "
                    "sofie_soa::runtime. Nothing is compiled by a C++ compiler here.")
    emit.add_argument("model", type=Path, help="the ONNX model file (.onnx; external data from its folder)")
    emit.add_argument("-o", "--output", type=Path, required=True, help="the header to write (folders are created)")
    emit.add_argument("--name", help="C++ namespace suffix: sofie_soa_generated::<name> (default: the model file's "
                                     "stem)")

    check = sub.add_parser(
        "check", help="list every node that keeps an ONNX model from compiling (builds nothing)",
        description="Run the compiler's front end and type inference on an ONNX model without building anything; "
                    "print one line per node that is unsupported or malformed (sofie_soa.check), exit status 1 if "
                    "there is any, 0 if the model compiles.")
    check.add_argument("model", type=Path, help="the ONNX model file (.onnx; external data from its folder)")
    check.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                       help="fix a dynamic dimension other than the element count (repeatable)")

    cache = sub.add_parser(
        "cache", help="list or clear the build cache",
        description="The build cache holds compiled session libraries (builds/<key>/, keyed by a hash of the "
                    "generated code, headers, compiler and flags) and alpaka headers fetched at first use. "
                    "Entries are rebuilt on demand, so clearing is always safe.", epilog=_EPILOG)
    actions = cache.add_subparsers(dest="action", metavar="{list,clear}", required=True)
    actions.add_parser("list", help="list the cache's entries",
                       description="Print one line per entry: kind, size, age, what it was built for, path; then "
                                   "the total.")
    actions.add_parser("clear", help="remove every entry",
                       description="Remove the compiled sessions and fetched headers (not the cache folder itself, "
                                   "nor the temporaries of builds still running). Programs that already loaded a "
                                   "session keep it.")
    from sofie_soa.serving.cli import add_parsers
    add_parsers(sub)
    return parser


def _human(nbytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _cache(action: str) -> None:
    from sofie_soa.runtime import cache
    root = cache.cache_root()
    if action == "list":
        found = cache.entries()
        now = time.time()
        for entry in found:
            print(f"{entry.kind:6} {_human(entry.bytes):>10} {_age(now - entry.modified):>7} ago  "
                  f"{entry.label or '-'}  {entry.path}")
        print(f"{len(found)} entries, {_human(sum(e.bytes for e in found))} in {root}")
    else:
        removed = cache.clear()
        print(f"removed {len(removed)} entries, {_human(sum(e.bytes for e in removed))}, from {root}")


def main(argv=None) -> int:
    """Runs the command line on `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    from sofie_soa import paths
    if args.command == "emit":
        from sofie_soa.runtime.model import generate
        generated = generate(args.model, args.name or args.model.stem)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(generated.header)
        print(f"wrote {args.output}: {generated.namespace}::Session<TAcc>")
    elif args.command == "check":
        from sofie_soa.compiler.check import check as check_model
        dims = {k: int(v) for k, v in (d.split("=", 1) for d in args.dim)}
        problems = check_model(args.model, dims)
        for p in problems:
            print(f"{args.model}: {p.message}")
        print(f"{args.model}: {len(problems)} problem(s)" if problems else f"{args.model}: compiles")
        return 1 if problems else 0
    elif args.command == "cache":
        _cache(args.action)
    elif args.command in ("triton-repo", "serve"):
        from sofie_soa.serving.cli import run
        return run(args)
    elif args.cmake_dir:
        print(paths.cmake_dir())
    elif args.include_dir:
        print(paths.include_dir())
    elif args.alpaka_include_dirs:
        from sofie_soa.runtime.alpaka_headers import alpaka_include_dir
        from sofie_soa.runtime.build import boost_include
        print(f"{alpaka_include_dir()};{boost_include()}")
    elif args.curand_include_dir:
        import shutil
        from sofie_soa.runtime.build import curand_include
        print("".join(flag[2:] for flag in curand_include(shutil.which("nvcc") or "nvcc")))
    elif args.cublas_root:
        import shutil
        from sofie_soa.runtime.build import cublas_flags
        print("".join(flag[2:-len("/include")] for flag in cublas_flags(shutil.which("nvcc") or "nvcc")
                      if flag.startswith("-I")))
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
