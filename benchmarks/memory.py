"""Memory benchmark: for each model and n, the planned workspace against the naive sum of intermediates (after
fusion: dense chains need none), and the peak resident memory that inference adds once inputs and outputs exist,
sofie_soa vs onnxruntime, each measured in its own fresh process (peak reset through /proc/self/clear_refs). Prints a table and writes benchmarks/results/memory.json and memory.png (plots.py).

    python benchmarks/memory.py [--sizes 1 1000 100000]
"""

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import plots  # noqa: E402
from models import inputs, models  # noqa: E402


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def _reset_peak() -> None:
    """Resets VmHWM (the peak RSS) to the current RSS (Linux: proc(5), clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child(system: str, name: str, n: int) -> dict:
    """Runs in a fresh process: RSS before the first inference, peak RSS after 5 (KiB)."""
    model = models()[name]
    x = inputs(model, n)
    if system == "sofie_soa":
        import sofie_soa as ss
        compiled, queue = ss.compile(model, "cpu_serial", name=name), ss.Queue("cpu_serial")
        out = {compiled.output_names[0]: np.ones((n, compiled.outputs[0].shape[1]), np.float32)}  # touched
        run = lambda: compiled.infer(x, queue, out=out)  # noqa: E731
    else:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: x}
        run = lambda: session.run(None, feed)  # noqa: E731
    _reset_peak()
    before = _status_kib("VmRSS")
    for _ in range(5):
        run()
    peak = _status_kib("VmHWM")
    return {"rss_before_kib": before, "peak_rss_kib": peak, "added_kib": max(peak - before, 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 1000, 100000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return
    import sofie_soa as ss
    rows = []
    print(f"{'model':14} {'n':>7} {'planned':>12} {'naive':>12} {'ratio':>6} {'sofie +RSS':>11} {'ort +RSS':>11}")
    for name, model in models().items():
        report_model = ss.compile(model, "cpu_serial", name=name)
        for n in args.sizes:
            report = report_model.memory_report(n)
            measured = {}
            for system in ("sofie_soa", "onnxruntime"):
                out = subprocess.run([sys.executable, __file__, "--child", system, name, str(n)], check=True,
                                     capture_output=True, text=True).stdout
                measured[system] = json.loads(out.strip().splitlines()[-1])
            row = {"model": name, "n": n, "planned_bytes": report["planned_bytes"],
                   "naive_bytes": report["naive_bytes"], **{f"{s}_{k}": v for s, m in measured.items()
                                                            for k, v in m.items()}}
            rows.append(row)
            ratio = report["planned_bytes"] / report["naive_bytes"] if report["naive_bytes"] else 1.0
            print(f"{name:14} {n:>7} {report['planned_bytes']:>12,} {report['naive_bytes']:>12,} {ratio:>6.2f} "
                  f"{measured['sofie_soa']['added_kib']:>8,} KiB {measured['onnxruntime']['added_kib']:>8,} KiB")
    results = HERE / "results" / "memory.json"
    results.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "rows": rows}, indent=1))
    plots.memory(results, results.parent)
    print(f"wrote {results} and {results.parent / 'memory.png'}")


if __name__ == "__main__":
    main()
