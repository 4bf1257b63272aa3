"""benchmarks/ragged.py on small sizes: the in-place jet tagger and the copy pipeline agree before anything is
timed (also where a size runs as several events), every figure is written to the JSON it plots from, and the PNG is
drawn."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import ragged  # noqa: E402


def test_ragged_benchmark_agrees_and_writes_its_results(tmp_path):
    rows = ragged.main(["--sizes", "20", "300", "--budget", "0.05", "--event-jets", "200", "--out", str(tmp_path)])
    assert [(r["jets"], r["events"]) for r in rows] == [(20, 1), (300, 2)]   # 300 jets: events of 200 and 100
    assert all(r["max_probability_difference"] < 1e-4 and r["in_place_bytes_staged"] == 0 for r in rows)
    assert all(r["copy_bytes_staged"] >= r["jets"] * (2 + 4 + 1) * 64 * 4 for r in rows)
    assert all(r[key] > 0 for r in rows for key in ("in_place_ms", "copy_pipeline_ms", "gather_ms"))
    assert json.loads((tmp_path / "ragged.json").read_text())["rows"] == rows
    assert (tmp_path / "ragged.png").stat().st_size > 0
