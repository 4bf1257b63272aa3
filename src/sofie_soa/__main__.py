"""Command line: ``python -m sofie_soa --cmake-dir`` prints the CMake package directory (for sofie_soa_DIR)."""

import argparse
import sys

from sofie_soa import paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sofie_soa", description=__doc__)
    parser.add_argument("--cmake-dir", action="store_true", help="print the directory of sofie_soaConfig.cmake")
    parser.add_argument("--include-dir", action="store_true", help="print the C++ include directory")
    args = parser.parse_args(argv)
    if args.cmake_dir:
        print(paths.cmake_dir())
    elif args.include_dir:
        print(paths.include_dir())
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
