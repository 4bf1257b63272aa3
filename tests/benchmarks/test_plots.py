"""benchmarks/plots.py draws every plot from the committed JSON results: one panel per comparison, ratio panels,
the machine and date in each title."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import plots  # noqa: E402


def test_every_plot_is_drawn_from_the_results(tmp_path, monkeypatch):
    titles = []
    original = plots._save

    def save(fig, path):
        titles.append((path.name, fig._suptitle.get_text(), len(fig.axes)))
        return original(fig, path)
    monkeypatch.setattr(plots, "_save", save)
    written = plots.main(["--out", str(tmp_path)])
    assert sorted(p.name for p in written) == ["architectures.png", "cmssw_like.png", "memory.png", "ragged.png",
                                                   "speedup.png", "zero_copy.png"]
    assert all(p.stat().st_size > 10_000 for p in written)
    panels = {name: count for name, _, count in titles}
    assert panels["speedup.png"] == 4 and panels["zero_copy.png"] == 2 and panels["cmssw_like.png"] == 4
    assert panels["architectures.png"] == 9         # 3 x 3 panels, one per architecture
    assert panels["ragged.png"] == 2                # times against jets, and their ratio
    assert all("cores, 20" in title for _, title, _ in titles), titles     # machine, cores and date
