"""The track classifier served by Triton on loopback: the SoA form (the collection's buffer sent whole) against
the tensor form with a client-side gather and scatter (SONIC's way), side by side in one run, with local
in-process inference on the same SoA as the reference:

    python benchmarks/serving.py [--clients 1 4 16] [--sizes 100 10000] [--duration 3] [--out benchmarks/results]

Per (form, transport, n, clients): throughput (requests/s and tracks/s) and p50 / p99 latency per request
(milliseconds, client side: from the SoA in memory to the scores in its `score` column). Clients are separate
processes (no shared GIL), started once and reused; each sends one request at a time for `duration` seconds
after a warm-up. Transports: gRPC over loopback TCP, and gRPC with Triton's system shared memory. Every client
checks its last answer against local inference (bitwise) and the run fails if one differs. Writes serving.json
and serving.png to --out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cmssw_like"
MODEL = EXAMPLE / "track_classifier.onnx"
sys.path.insert(0, str(EXAMPLE))

FORMS = ("soa", "tensor")
TRANSPORTS = {"grpc": ("grpc", "none"), "grpc+shm": ("grpc", "system")}
WARMUP = 5


def _tracks(n: int, seed: int):
    import sofie_soa as ss
    from tracks import LAYOUT, produce
    soa = ss.SoA.allocate(LAYOUT, n)
    produce(soa, np.random.default_rng(seed))
    return soa


def _local(model, soa):
    import sofie_soa as ss
    from tracks import FEATURES, LAYOUT
    out = ss.SoA.allocate(LAYOUT, soa.n)
    model.infer(soa.tensor(FEATURES), out=out.tensor(["score"]))
    return out["score"].copy()


def _worker(index: int, conn, grpc_url: str) -> None:
    """A client process: for each command (form, transport, n, duration, start_at) sends requests one at a time
    and replies with its latencies (seconds) and whether its last answer matched local inference."""
    import sofie_soa as ss
    from sofie_soa.serving.client import Client
    from tracks import LAYOUT, gather
    model = ss.compile(MODEL)
    clients, events = {}, {}
    conn.send("ready")
    while True:
        cmd = conn.recv()
        if cmd is None:
            break
        form, transport, n = cmd["form"], cmd["transport"], cmd["n"]
        if transport not in clients:
            protocol, shm = TRANSPORTS[transport]
            clients[transport] = Client(grpc_url, "track_classifier", protocol, shm)
        client = clients[transport]
        if n not in events:
            events[n] = (_tracks(n, 1000 + index), ss.SoA.allocate(LAYOUT, n))
        soa, out = events[n]

        def once():
            if form == "soa":
                client.infer(soa, out=out.tensor(["score"]))
            else:                                   # SONIC's way: gather, send, scatter back
                out["score"][:] = client.infer(gather(soa))[:, 0]

        for _ in range(WARMUP):
            once()
        while time.time() < cmd["start_at"]:
            time.sleep(0.001)
        latencies = []
        begin, end = time.time(), cmd["start_at"] + cmd["duration"]
        t = time.perf_counter()
        while time.time() < end or not latencies:
            once()
            now = time.perf_counter()
            latencies.append(now - t)
            t = now
        conn.send({"latencies": latencies, "window": time.time() - begin,
                   "exact": bool(np.array_equal(out["score"], _local(model, soa)))})
    for c in clients.values():
        c.close()


def _summary(per_client: list, n: int) -> dict:
    """Totals over clients: per_client is [(latencies in s, measured window in s)]."""
    lat = np.concatenate([np.array(l) for l, _ in per_client])
    rate = sum(len(l) / w for l, w in per_client)
    return {"requests": int(lat.size), "requests_per_s": rate, "tracks_per_s": rate * n,
            "p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3)}


def _local_rows(sizes, counts, duration: float) -> list:
    """In-process reference: `clients` threads, each with its own Queue, infer in place on its own SoA."""
    import sofie_soa as ss
    from tracks import FEATURES
    model = ss.compile(MODEL)
    rows = []
    for n in sizes:
        for clients in counts:
            results = [None] * clients

            def run(i):
                queue = ss.Queue(model.backend)
                soa = _tracks(n, 1000 + i)
                features, score = soa.tensor(FEATURES), soa.tensor(["score"])
                for _ in range(WARMUP):
                    model.infer(features, queue, out=score)
                barrier.wait()
                lat, end, t = [], time.perf_counter() + duration, time.perf_counter()
                while t < end:
                    model.infer(features, queue, out=score)
                    now = time.perf_counter()
                    lat.append(now - t)
                    t = now
                results[i] = (lat, duration)

            barrier = threading.Barrier(clients)
            threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            rows.append({"form": "local", "transport": "in-process", "n": n, "clients": clients,
                         **_summary(results, n)})
    return rows


def _batching(grpc_url: str) -> dict:
    """Triton's statistics for the model: inferences (rows of the batch dimension) and executions (batches the
    dynamic batcher formed; requests sent / executions is the mean requests per batch)."""
    import tritonclient.grpc as tc
    c = tc.InferenceServerClient(grpc_url)
    stats = c.get_inference_statistics("track_classifier", as_json=True)["model_stats"][0]
    c.close()
    return {"inference_count": int(stats.get("inference_count", 0)),
            "execution_count": int(stats.get("execution_count", 0))}


def plot(rows: list, out: Path, title: str) -> None:
    """serving.png: per n, tracks/s (top) and p50 / p99 latency (bottom) against concurrent clients."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = sorted({r["n"] for r in rows})
    fig, axes = plt.subplots(2, len(sizes), figsize=(5.5 * len(sizes), 7), squeeze=False)
    series = sorted({(r["form"], r["transport"]) for r in rows})
    for col, n in enumerate(sizes):
        for form, transport in series:
            sel = sorted((r for r in rows if r["n"] == n and r["form"] == form and r["transport"] == transport),
                         key=lambda r: r["clients"])
            x = [r["clients"] for r in sel]
            label = f"{form} ({transport})"
            style = "k--" if form == "local" else ("-o" if form == "soa" else "-s")
            axes[0][col].plot(x, [r["tracks_per_s"] for r in sel], style, label=label)
            line, = axes[1][col].plot(x, [r["p50_ms"] for r in sel], style, label=f"{label} p50")
            axes[1][col].plot(x, [r["p99_ms"] for r in sel], ":", color=line.get_color(), label=f"{label} p99")
        for ax in (axes[0][col], axes[1][col]):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("concurrent clients")
            ax.grid(alpha=0.3)
        axes[0][col].set_title(f"n = {n} tracks per request")
        axes[0][col].set_ylabel("tracks / s")
        axes[1][col].set_ylabel("latency per request (ms)")
    axes[0][0].legend(fontsize=7)
    axes[1][0].legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "serving.png", dpi=110)
    plt.close(fig)


def main(argv=None) -> list:
    """Runs the benchmark; returns the rows written to serving.json. RuntimeError if a served answer differs
    from local inference; ServerNotFound without a tritonserver binary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per case")
    parser.add_argument("--instances", type=int, default=2, help="Triton model instances")
    parser.add_argument("--transports", nargs="+", default=list(TRANSPORTS), choices=list(TRANSPORTS))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)

    from sofie_soa.serving.repository import write_repository
    from sofie_soa.serving.server import Server
    from tracks import LAYOUT
    rows = _local_rows(args.sizes, args.clients, args.duration)
    with tempfile.TemporaryDirectory() as tmp:
        from sofie_soa.serving import soa_layout
        from tracks import FEATURES
        soa_layout.save(soa_layout.binding(LAYOUT, {"features": FEATURES}, {"score": ["score"]}),
                        Path(tmp) / "layout.json")
        write_repository(MODEL, Path(tmp) / "repo", max_batch_size=max(args.sizes), instances=args.instances,
                         soa_layout_path=Path(tmp) / "layout.json")
        with Server(Path(tmp) / "repo", log_file=Path(tmp) / "triton.log") as server:
            ctx = mp.get_context("spawn")
            pipes, procs = [], []
            for i in range(max(args.clients)):
                parent, child = ctx.Pipe()
                p = ctx.Process(target=_worker, args=(i, child, server.grpc_url), daemon=True)
                p.start()
                pipes.append(parent)
                procs.append(p)
            for pipe in pipes:
                if not pipe.poll(300) or pipe.recv() != "ready":
                    raise RuntimeError("a client process did not start within 300 s")
            try:
                for transport in args.transports:
                    for n in args.sizes:
                        for clients in args.clients:
                            for form in FORMS:
                                before = _batching(server.grpc_url)
                                start_at = time.time() + 1.0 + 0.05 * clients
                                for pipe in pipes[:clients]:
                                    pipe.send({"form": form, "transport": transport, "n": n,
                                               "duration": args.duration, "start_at": start_at})
                                replies = [pipe.recv() for pipe in pipes[:clients]]
                                if not all(r["exact"] for r in replies):
                                    raise RuntimeError(f"{form} {transport} n={n}: a served answer differs "
                                                       f"from local inference")
                                after = _batching(server.grpc_url)
                                executions = after["execution_count"] - before["execution_count"]
                                sent = sum(len(r["latencies"]) for r in replies) + WARMUP * clients
                                row = {"form": form, "transport": transport, "n": n, "clients": clients,
                                       **_summary([(r["latencies"], r["window"]) for r in replies], n),
                                       "request_bytes": LAYOUT.byte_size(n) if form == "soa" else n * 8 * 4,
                                       "requests_per_execution": sent / max(executions, 1)}
                                rows.append(row)
                                print(f"{form:6} {transport:9} n={n:6} clients={clients:3} "
                                      f"{row['requests_per_s']:9.1f} req/s {row['tracks_per_s'] / 1e6:8.3f} "
                                      f"M tracks/s  p50 {row['p50_ms']:7.3f} ms  p99 {row['p99_ms']:7.3f} ms  "
                                      f"requests/batch {row['requests_per_execution']:.2f}", flush=True)
            finally:
                for pipe in pipes:
                    pipe.send(None)
                for p in procs:
                    p.join(30)
    for r in rows:
        if r["form"] == "local":
            print(f"local  in-process n={r['n']:6} clients={r['clients']:3} {r['requests_per_s']:9.1f} req/s "
                  f"{r['tracks_per_s'] / 1e6:8.3f} M tracks/s  p50 {r['p50_ms']:7.3f} ms  p99 {r['p99_ms']:7.3f} ms")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serving.json").write_text(json.dumps(
        {"machine": machine, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "instances": args.instances, "duration_s": args.duration, "rows": rows}, indent=1) + "\n")
    plot(rows, args.out, f"track classifier served by Triton 2.51 (Python backend, {args.instances} instances), "
                         f"gRPC on loopback; {machine}, {time.strftime('%Y-%m-%d', time.gmtime())}")
    return rows


if __name__ == "__main__":
    main()
