"""benchmarks/serving.py in a short run: every case answered, both forms checked bitwise against local inference
inside the benchmark (it raises otherwise), the JSON and the plot written."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_serving_benchmark_short_run(tmp_path):
    from sofie_soa.serving.locate import ServerNotFound, find_tritonserver
    pytest.importorskip("tritonclient.grpc", reason="the client needs tritonclient[http,grpc]")
    try:
        find_tritonserver()
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    import serving
    rows = serving.main(["--clients", "1", "2", "--sizes", "100", "--duration", "0.3", "--instances", "1",
                         "--transports", "grpc", "--out", str(tmp_path)])
    served = [r for r in rows if r["form"] != "local"]
    assert sorted((r["form"], r["clients"]) for r in served) == [("soa", 1), ("soa", 2), ("tensor", 1), ("tensor", 2)]
    assert all(r["requests"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0 for r in rows)
    assert sorted(r["clients"] for r in rows if r["form"] == "local") == [1, 2]
    assert json.loads((tmp_path / "serving.json").read_text())["rows"] == json.loads(json.dumps(rows))
    assert (tmp_path / "serving.png").stat().st_size > 0
