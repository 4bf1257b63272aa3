"""Command line.

  python -m sofie_soa --cmake-dir              the CMake package directory (for sofie_soa_DIR)
  python -m sofie_soa --include-dir            the C++ include directory
  python -m sofie_soa --alpaka-include-dirs    alpaka's and Boost.Predef's include directories (a CMake list)
  python -m sofie_soa --curand-include-dir     where curand_kernel.h is for alpaka's CUDA back-end (empty when
                                               nvcc's own CUDA has it)
  python -m sofie_soa --cublas-root            the directory of cuBLAS's include/ and lib/ for SOFIE_SOA_CUBLAS_ROOT
                                               (empty when nvcc's own CUDA has cuBLAS, or none is installed)
  python -m sofie_soa emit model.onnx -o h     write the session header of model.onnx (ahead of time)
  python -m sofie_soa check model.onnx         every node that keeps model.onnx from compiling, with the
                                               reason (exit status 1), or that it compiles; builds nothing
"""

import argparse
import sys
from pathlib import Path

from sofie_soa import paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sofie_soa", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cmake-dir", action="store_true", help="print the directory of sofie_soaConfig.cmake")
    parser.add_argument("--include-dir", action="store_true", help="print the C++ include directory")
    parser.add_argument("--alpaka-include-dirs", action="store_true",
                        help="print alpaka's and Boost.Predef's include directories, ';'-separated")
    parser.add_argument("--curand-include-dir", action="store_true",
                        help="print the directory of curand_kernel.h if nvcc's CUDA lacks it (nvidia-curand wheel)")
    parser.add_argument("--cublas-root", action="store_true",
                        help="print cuBLAS's directory if nvcc's CUDA lacks it (nvidia-cublas wheel)")
    sub = parser.add_subparsers(dest="command")
    emit = sub.add_parser("emit", help="write the C++ session header of an ONNX model")
    emit.add_argument("model", type=Path)
    emit.add_argument("-o", "--output", type=Path, required=True)
    emit.add_argument("--name", help="C++ namespace suffix (default: the model file's stem)")
    check = sub.add_parser("check", help="list every node that keeps an ONNX model from compiling (builds nothing)")
    check.add_argument("model", type=Path)
    check.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                       help="fix a dynamic dimension other than the element count (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "check":
        from sofie_soa.compiler.check import check as check_model
        dims = {k: int(v) for k, v in (d.split("=", 1) for d in args.dim)}
        problems = check_model(args.model, dims)
        for p in problems:
            print(f"{args.model}: {p.message}")
        print(f"{args.model}: {len(problems)} problem(s)" if problems else f"{args.model}: compiles")
        return 1 if problems else 0
    if args.command == "emit":
        from sofie_soa.runtime.model import generate
        generated = generate(args.model, args.name or args.model.stem)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(generated.header)
        print(f"wrote {args.output}: {generated.namespace}::Session<TAcc>")
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
