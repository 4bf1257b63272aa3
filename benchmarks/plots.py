"""The benchmark plots, drawn from the JSON results (so they can be redrawn without rerunning anything):

    python benchmarks/plots.py [--results benchmarks/results] [--out DIR]

  speedup.png     one panel per comparison (batch 1, small batches, throughput, two cores): horizontal bars of
                  onnxruntime time / sofie_soa time, 1 marked
  zero_copy.png   time per call against n (in place; gather -> onnxruntime -> scatter), and their ratio
  cmssw_like.png  events/s against tracks per event, one panel per stream count, and the ratio to the copy pipeline
  memory.png      planned workspace and the peak resident memory inference adds, sofie_soa against onnxruntime
  architectures.png  one panel per architecture (benchmarks/architectures.py): speed-up against batch size
  ragged.png      the jet tagger over ragged views against gather/pad -> onnxruntime -> scatter (benchmarks/ragged.py):
                  time per call against jets, and their ratio

Every title carries the machine and the date of the results file.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 9})
    return plt


def _stamp(path: Path) -> str:
    """'<machine>, <cores> cores, <date of path>'."""
    import os
    date = time.strftime("%Y-%m-%d", time.gmtime(path.stat().st_mtime))
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {date}"


def speedup(results: Path, out: Path) -> Path:
    data = json.loads(results.read_text())
    panels = [("batch 1 (latency)", data["latency"]), ("small batches", data["linear"]),
              ("throughput, 1 thread", data["throughput"]), ("two cores vs onnxruntime, 2 threads", data["two_cores"])]
    panels = [(title, rows) for title, rows in panels if rows]
    plt = _plt()
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 1.2 + 0.45 * sum(len(r) for _, r in panels)),
                             gridspec_kw={"height_ratios": [len(r) for _, r in panels]})
    for ax, (title, rows) in zip(axes, panels):
        labels = [f"{r['model']}, n = {r['n']:,}, {r['backend']}" for r in rows]
        ratios = [r["speedup"] for r in rows]
        ax.barh(range(len(rows)), ratios, color=["tab:green" if x >= 1 else "tab:red" for x in ratios])
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_yticks(range(len(rows)), labels)
        ax.invert_yaxis()
        for y, x in enumerate(ratios):
            ax.text(x, y, f" {x:.2f}x", va="center")
        ax.set_title(title, loc="left")
        ax.set_xlim(0, max(ratios) * 1.2)
    axes[-1].set_xlabel("onnxruntime time / sofie_soa time (> 1: sofie_soa faster)")
    fig.suptitle(f"sofie_soa against onnxruntime — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "speedup.png")


def zero_copy(results: Path, out: Path) -> Path:
    rows = json.loads(results.read_text())["zero_copy"]
    plt = _plt()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    n = [r["n"] for r in rows]
    top.loglog(n, [r["sofie_us"] for r in rows], "o-", label="sofie_soa in place")
    top.loglog(n, [r["copy_pipeline_us"] for r in rows], "s--", label="gather → onnxruntime → scatter")
    top.set_ylabel("median time per call (µs)")
    top.legend()
    bottom.semilogx(n, [r["speedup"] for r in rows], "o-", color="tab:green")
    bottom.axhline(1.0, color="k", lw=0.8)
    bottom.set_ylabel("copy pipeline / in place")
    bottom.set_xlabel("tracks (n)")
    fig.suptitle(f"track classifier on an SoA collection, 1 thread — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "zero_copy.png")


def cmssw_like(results: Path, out: Path) -> Path:
    rows = json.loads(results.read_text())
    streams = sorted({r["streams"] for r in rows})
    plt = _plt()
    fig, axes = plt.subplots(2, len(streams), figsize=(5 * len(streams), 6), sharex=True,
                             gridspec_kw={"height_ratios": [2, 1]}, squeeze=False)
    ways = (("sofie_soa", "o-", "sofie_soa in place"), ("copy_pipeline", "s--", "gather → onnxruntime → scatter"),
            ("onnxruntime_gathered", "^:", "onnxruntime alone (inputs already gathered)"))
    for column, s in enumerate(streams):
        sel = [r for r in rows if r["streams"] == s]
        tracks = [r["tracks"] for r in sel]
        for way, style, label in ways:
            axes[0][column].loglog(tracks, [r[f"{way}_events_per_s"] for r in sel], style, label=label)
        axes[0][column].set_title(f"{s} stream{'s' if s > 1 else ''}")
        axes[0][column].set_ylabel("events / s (selector step)")
        axes[1][column].semilogx(tracks, [r["sofie_soa_events_per_s"] / r["copy_pipeline_events_per_s"] for r in sel],
                                 "o-", color="tab:green")
        axes[1][column].axhline(1.0, color="k", lw=0.8)
        axes[1][column].set_ylabel("in place / copy pipeline")
        axes[1][column].set_xlabel("tracks per event")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"CMS-style chain, selector step — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "cmssw_like.png")


def memory(results: Path, out: Path) -> Path:
    rows = json.loads(results.read_text())["rows"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    plt = _plt()
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.8), squeeze=False)
    for ax, name in zip(axes[0], models):
        sel = [r for r in rows if r["model"] == name]
        x = range(len(sel))
        width = 0.27
        ax.bar([i - width for i in x], [r["planned_bytes"] / 1024 for r in sel], width, label="planned workspace")
        ax.bar(list(x), [r["sofie_soa_added_kib"] for r in sel], width, label="sofie_soa: peak RSS added")
        ax.bar([i + width for i in x], [r["onnxruntime_added_kib"] for r in sel], width,
               label="onnxruntime: peak RSS added")
        ax.set_xticks(list(x), [f"n = {r['n']:,}" for r in sel])
        ax.set_yscale("symlog", linthresh=64)
        ax.set_title(name)
        ax.set_ylabel("KiB")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"memory that inference adds — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "memory.png")


def architectures(results: Path, out: Path) -> Path:
    rows = json.loads(results.read_text())["architectures"]
    names = list(dict.fromkeys(r["model"] for r in rows))
    plt = _plt()
    columns = 3
    fig, axes = plt.subplots(-(-len(names) // columns), columns, figsize=(9, 2.2 * -(-len(names) // columns)),
                             squeeze=False)
    for ax, name in zip(axes.flat, names):
        mine = [r for r in rows if r["model"] == name]
        ratios = [r["speedup"] for r in mine]
        ax.bar(range(len(mine)), ratios, color=["tab:green" if x >= 1 else "tab:red" for x in ratios])
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(range(len(mine)), [f"n = {r['n']:,}" for r in mine])
        for x, y in enumerate(ratios):
            ax.text(x, y, f"{y:.2f}x", ha="center", va="bottom")
        ax.set_ylim(0, max(1.2, max(ratios) * 1.25))
        ax.set_title(name, loc="left")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("onnxruntime / sofie_soa")
    fig.suptitle(f"Architectures, sofie_soa against onnxruntime (1 thread) — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "architectures.png")


def ragged(results: Path, out: Path) -> Path:
    rows = json.loads(results.read_text())["rows"]
    jets = [r["jets"] for r in rows]
    plt = _plt()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    top.loglog(jets, [r["in_place_ms"] for r in rows], "o-", label="sofie_soa in place (ragged views)")
    top.loglog(jets, [r["copy_pipeline_ms"] for r in rows], "s--", label="gather/pad → onnxruntime → scatter")
    top.loglog(jets, [r["gather_ms"] for r in rows], "^:", label="gather/pad alone")
    top.set_ylabel("ms per call")
    top.legend(fontsize=8)
    bottom.semilogx(jets, [r["speedup"] for r in rows], "o-", color="tab:green")
    bottom.axhline(1.0, color="k", lw=0.8)
    bottom.set_ylabel("copy pipeline / in place")
    bottom.set_xlabel("jets per call (0–120 candidates each, P = 64)")
    fig.suptitle(f"Jet tagger (ParticleNet) on ragged SoAs — {_stamp(results)}")
    fig.tight_layout()
    return _save(fig, out / "ragged.png")


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=130)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--out", type=Path, default=None, help="where the PNGs go (default: --results)")
    args = parser.parse_args(argv)
    out = args.out or args.results
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for draw, name in ((speedup, "bench.json"), (zero_copy, "bench.json"), (cmssw_like, "cmssw_like.json"),
                       (memory, "memory.json"), (architectures, "architectures.json"), (ragged, "ragged.json")):
        if (args.results / name).is_file():
            written.append(draw(args.results / name, out))
    for path in written:
        print("wrote", path)
    return written


if __name__ == "__main__":
    main()
