"""The performance suite (CPU): sofie_soa against onnxruntime on the same model and inputs, measured side by side
in one process run; medians of repeated runs; ratios. Prints a table, writes benchmarks/results/bench.json and
PNG plots there.

    python benchmarks/run.py [--quick]

  latency      batch 1, trigger_mlp (16 -> 32 -> 32 -> 1) and residual_blocks: model.infer vs
               InferenceSession.run, 1 thread
  linear       sofie_linear (SOFIE's Linear benchmark shape) at batch 16 and 64, 1 thread
  throughput   batch 4096 and 65536 (wide_mlp: 4096; residual_blocks: 256 and 4096): both, and GFLOP/s
               against OpenBLAS sgemm (numpy, 1 thread) on the same layer shapes and on a 1024^3 product
  zero_copy    the cmssw_like classifier on an SoA collection: in place vs gather -> onnxruntime -> scatter,
               n = 1 ... 10^6
  two_cores    cpu_threads and cpu_omp2_blocks vs onnxruntime with 2 intra-op threads
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy: its OpenBLAS is the sgemm reference

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import sofie_soa as ss  # noqa: E402

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "examples" / "cmssw_like"))
import plots  # noqa: E402
from models import inputs, models  # noqa: E402


def median_seconds(fn, budget: float = 0.2, repeats: int = 7) -> float:
    """Median over `repeats` of the mean time of fn() in a loop of about budget / repeats seconds."""
    fn()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < 0.02:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    loops = max(1, int(budget / repeats / per_call))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t) / loops)
    return statistics.median(samples)


def onnxruntime_session(model: bytes, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def flops_per_row(model: bytes) -> int:
    """2 * sum of K * N over the model's Gemm weights (the dense work per element)."""
    graph = onnx.load_from_string(model).graph
    weights = {t.name: t.dims for t in graph.initializer}
    return sum(2 * int(np.prod(weights[node.input[1]])) for node in graph.node if node.op_type in ("Gemm", "MatMul"))


def side_by_side(name: str, n: int, backend: str = "cpu_serial", ort_threads: int = 1, budget: float = 0.2) -> dict:
    model = models()[name]
    x = inputs(model, n)
    compiled, queue = ss.compile(model, backend, name=name), ss.Queue(backend)
    session = onnxruntime_session(model, ort_threads)
    feed = {session.get_inputs()[0].name: x}
    out = np.zeros((n, compiled.outputs[0].shape[1]), np.float32)
    np.testing.assert_allclose(compiled.infer(x, queue, out=out), session.run(None, feed)[0], rtol=1e-4, atol=1e-5)
    t_sofie = median_seconds(lambda: compiled.infer(x, queue, out=out), budget)
    t_ort = median_seconds(lambda: session.run(None, feed), budget)
    gflop = flops_per_row(model) * n / 1e9
    return {"model": name, "n": n, "backend": backend, "ort_threads": ort_threads, "sofie_us": t_sofie * 1e6,
            "onnxruntime_us": t_ort * 1e6, "speedup": t_ort / t_sofie, "sofie_gflops": gflop / t_sofie,
            "onnxruntime_gflops": gflop / t_ort}


def sgemm_gflops(m: int, k: int, n: int) -> float:
    a = np.random.default_rng(0).normal(size=(m, k)).astype(np.float32)
    b = np.random.default_rng(1).normal(size=(k, n)).astype(np.float32)
    out = np.empty((m, n), np.float32)
    return 2 * m * k * n / median_seconds(lambda: np.matmul(a, b, out=out)) / 1e9


def openblas_on_layers(name: str, n: int) -> float:
    """GFLOP/s of OpenBLAS doing the model's layers as sgemms ([n, K] x [K, N]), bias and activation left out."""
    graph = onnx.load_from_string(models()[name]).graph
    shapes = [tuple(t.dims) for t in graph.initializer if len(t.dims) == 2]
    xs = [np.random.default_rng(0).normal(size=(n, s[1])).astype(np.float32) for s in shapes]
    ws = [np.random.default_rng(1).normal(size=(s[1], s[0])).astype(np.float32) for s in shapes]

    def layers():
        for x, w in zip(xs, ws):
            np.matmul(x, w)
    return flops_per_row(models()[name]) * n / median_seconds(layers) / 1e9


def zero_copy(n: int, budget: float) -> dict:
    from tracks import FEATURES, LAYOUT, gather, produce
    path = HERE.parent / "examples" / "cmssw_like" / "track_classifier.onnx"
    compiled, queue = ss.compile(path, "cpu_serial"), ss.Queue("cpu_serial")
    session = onnxruntime_session(path.read_bytes())
    soa = ss.SoA.allocate(LAYOUT, n)
    produce(soa, np.random.default_rng(n))
    features, score = soa.tensor(FEATURES), soa.tensor(["score"])

    def copy_pipeline():
        soa["score"][:] = session.run(None, {"features": gather(soa)})[0][:, 0]
    t_sofie = median_seconds(lambda: compiled.infer(features, queue, out=score), budget)
    t_copy = median_seconds(copy_pipeline, budget)
    return {"n": n, "sofie_us": t_sofie * 1e6, "copy_pipeline_us": t_copy * 1e6, "speedup": t_copy / t_sofie}


def machine() -> dict:
    """The machine and versions a results file records."""
    return {"processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "onnxruntime": ort.__version__, "sofie_soa": ss.__version__}


def report(results: dict) -> str:
    """The figures of a bench.json as text: what main() prints and writes into the README (between the
    <!-- bench --> markers)."""
    lines = [f"{'case':34} {'sofie_soa':>12} {'onnxruntime':>12} {'speed-up':>9}"]
    for group in ("latency", "linear", "throughput", "two_cores"):
        for r in results[group]:
            case = f"{group} {r['model']} n={r['n']} {r['backend']}"
            lines.append(f"{case:34} {r['sofie_us']:>9.1f} us {r['onnxruntime_us']:>9.1f} us {r['speedup']:>8.2f}x")
    for r in results["throughput"]:
        lines.append(f"GFLOP/s {r['model']} n={r['n']}: sofie_soa {r['sofie_gflops']:.1f}, onnxruntime "
                     f"{r['onnxruntime_gflops']:.1f}, OpenBLAS on the same layers {r['openblas_layers_gflops']:.1f} "
                     f"({100 * r['fraction_of_openblas_layers']:.0f}%)")
    lines.append(f"OpenBLAS sgemm 1024^3, 1 thread: {results['openblas_sgemm_1024_gflops']:.1f} GFLOP/s")
    for r in results["zero_copy"]:
        lines.append(f"zero_copy n={r['n']:>8}: in place {r['sofie_us']:>10.1f} us, gather+onnxruntime+scatter "
                     f"{r['copy_pipeline_us']:>10.1f} us, {r['speedup']:.2f}x")
    return "\n".join(lines)


def write_readme(begin: str, end: str, text: str) -> Path:
    """Replaces the README's text between the markers `begin` and `end` with `text`."""
    head, rest = README.read_text().split(begin)
    _, tail = rest.split(end)
    README.write_text(f"{head}{begin}\n{text}\n{end}{tail}")
    return README


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter timing budgets (noisier)")
    args = parser.parse_args()
    budget = 0.05 if args.quick else 0.3
    results = {"machine": machine()}
    results["latency"] = [side_by_side(name, 1, budget=budget) for name in ("trigger_mlp", "residual_blocks")]
    results["linear"] = [side_by_side("sofie_linear", n, budget=budget) for n in (16, 64)]
    results["throughput"] = [side_by_side(name, n, budget=budget) for name in ("trigger_mlp", "sofie_linear")
                             for n in (4096, 65536)] + [side_by_side("wide_mlp", 4096, budget=budget)] + \
                            [side_by_side("residual_blocks", n, budget=budget) for n in (256, 4096)]
    for row in results["throughput"]:
        row["openblas_layers_gflops"] = openblas_on_layers(row["model"], row["n"])
        row["fraction_of_openblas_layers"] = row["sofie_gflops"] / row["openblas_layers_gflops"]
    results["openblas_sgemm_1024_gflops"] = sgemm_gflops(1024, 1024, 1024)
    results["zero_copy"] = [zero_copy(n, budget) for n in (1, 10, 100, 1000, 10_000, 100_000, 1_000_000)]
    results["two_cores"] = [side_by_side("sofie_linear", 65536, backend, ort_threads=2, budget=budget)
                            for backend in ("cpu_threads", "cpu_omp2_blocks")]

    print(report(results))
    write_readme("<!-- bench:begin -->\n```", "```\n<!-- bench:end -->", report(results))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=1))
    written = [plots.speedup(out / "bench.json", out), plots.zero_copy(out / "bench.json", out)]
    print("wrote", out / "bench.json", *written, README)


if __name__ == "__main__":
    main()
