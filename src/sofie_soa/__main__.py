"""Command line.

  python -m sofie_soa --cmake-dir              the CMake package directory (for sofie_soa_DIR)
  python -m sofie_soa --include-dir            the C++ include directory
  python -m sofie_soa emit model.onnx -o h     write the session header of model.onnx (ahead of time)
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
    sub = parser.add_subparsers(dest="command")
    emit = sub.add_parser("emit", help="write the C++ session header of an ONNX model")
    emit.add_argument("model", type=Path)
    emit.add_argument("-o", "--output", type=Path, required=True)
    emit.add_argument("--name", help="C++ namespace suffix (default: the model file's stem)")
    args = parser.parse_args(argv)
    if args.command == "emit":
        from sofie_soa.runtime.model import generate
        header, _, namespace = generate(args.model, args.name or args.model.stem)
        args.output.write_text(header)
        print(f"wrote {args.output}: {namespace}::Session<TAcc>")
    elif args.cmake_dir:
        print(paths.cmake_dir())
    elif args.include_dir:
        print(paths.include_dir())
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
