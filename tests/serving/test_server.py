"""A real tritonserver on loopback (conftest's `server`): both request forms over gRPC and HTTP, with and without
shared memory, bitwise equal to local inference; bad requests get named errors and the server keeps serving."""

import numpy as np
import pytest

import sofie_soa as ss
from conftest import LAYOUT, MAX_N, gather, local_scores, tracks
from sofie_soa.serving import soa_wire
from sofie_soa.serving.client import Client, RemoteError

NAME = "track_classifier"


def client(server, protocol, shared_memory="none"):
    return Client(server.grpc_url if protocol == "grpc" else server.http_url, NAME, protocol, shared_memory)


@pytest.mark.parametrize("protocol", ["grpc", "http"])
@pytest.mark.parametrize("shared_memory", ["none", "system"])
def test_both_forms_equal_local_inference_bitwise(server, model, protocol, shared_memory):
    with client(server, protocol, shared_memory) as c:
        assert c.shared_memory == (shared_memory == "system")
        for n in (1, 333, MAX_N):
            soa = tracks(n, seed=n)
            expected = local_scores(model, soa)
            out = ss.SoA.allocate(LAYOUT, n)
            assert c.infer(soa, out=out.tensor(["score"])) is not None
            assert np.array_equal(out["score"], expected)
            assert np.array_equal(c.infer(soa.tensor(["pt"]))[:, 0], expected)      # a view sends its SoA
            scores = c.infer(gather(soa))
            assert scores.shape == (n, 1) and scores.dtype == np.float32 and np.array_equal(scores[:, 0], expected)


def raw(server, inputs):
    """Sends `inputs` [(name, array, triton dtype)] as they are, past the client's checks; returns the error
    message (None if the request succeeded)."""
    import tritonclient.grpc as tc
    from tritonclient.utils import InferenceServerException
    triton = tc.InferenceServerClient(server.grpc_url)
    tensors = []
    for name, array, dtype in inputs:
        t = tc.InferInput(name, list(array.shape), dtype)
        t.set_data_from_numpy(array)
        tensors.append(t)
    try:
        triton.infer(NAME, tensors, client_timeout=60)
        return None
    except InferenceServerException as err:
        return err.message()
    finally:
        triton.close()


def test_bad_requests_get_named_errors_and_the_server_keeps_serving(server, model):
    soa = tracks(50, seed=9)
    buffer = soa_wire.buffer_bytes(soa).reshape(1, -1)
    n = np.array([[50]], np.int64)
    big = MAX_N + 1
    cases = [
        ([("soa_buffer_bytes", buffer[:, :-8], "UINT8"), ("soa_n", n, "INT64")],
         ["soa_buffer_bytes", str(buffer.size - 8), str(buffer.size), "soa_n"]),
        ([("soa_buffer_bytes", np.zeros((1, LAYOUT.byte_size(big)), np.uint8), "UINT8"),
          ("soa_n", np.array([[big]], np.int64), "INT64")], ["soa_n", str(big), str(MAX_N)]),
        ([("soa_buffer_bytes", buffer.view(np.int8), "INT8"), ("soa_n", n, "INT64")], ["soa_buffer_bytes", "INT8", "UINT8"]),
        ([("soa_buffer_bytes", buffer, "UINT8")], ["missing input 'soa_n'"]),
        ([("features", gather(soa).astype(np.float64), "FP64")], ["features", "FP64", "FP32"]),
        ([("features", np.zeros((big, 8), np.float32), "FP32")], [str(MAX_N), "batch-size"]),
    ]
    for inputs, words in cases:
        message = raw(server, inputs)
        assert message is not None, f"{[i[0] for i in inputs]} was accepted"
        for word in words:
            assert word in message, message
        with client(server, "grpc") as c:               # the next good request still succeeds
            assert np.array_equal(c.infer(soa)[:, 0], local_scores(model, soa))


def test_client_checks_before_sending(server):
    with client(server, "grpc") as c:
        other = ss.SoA.allocate(ss.Layout([ss.column("pt", "float32")]), 4)
        with pytest.raises(ValueError, match="layout"):
            c.infer(other)
        with pytest.raises(ValueError, match="beyond the model's max n"):
            c.infer(np.zeros((MAX_N + 1, 8), np.float32))
        with pytest.raises(ValueError, match="2 features"):
            soa = tracks(4, seed=1)
            c.infer(soa, out=soa.tensor(["score", "pt"]))
        with pytest.raises(RemoteError, match="features"):
            c.infer(np.zeros((3, 8), np.float64))


def test_unknown_model_is_a_remote_error(server):
    with pytest.raises(RemoteError, match="no_such_model"):
        Client(server.grpc_url, "no_such_model")


def test_soa_buffers_are_wrapped_without_a_copy_in_the_server(repo, tmp_path, model):
    """The handler counts buffers it had to copy for alignment and logs the count at unload (triton_model)."""
    from sofie_soa.serving.server import Server
    from sofie_soa.serving.locate import ServerNotFound
    try:
        s = Server(repo, log_file=tmp_path / "triton.log", startup_timeout=120)
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    with s, client(s, "grpc") as c:
        for n in (1, 17, 1000, 4099):
            soa = tracks(n, seed=n)
            assert np.array_equal(c.infer(soa)[:, 0], local_scores(model, soa))
    lines = [line for line in (tmp_path / "triton.log").read_text().splitlines() if "SoA requests" in line]
    assert len(lines) == 2 and sum(int(line.split(": ")[2].split()[0]) for line in lines) == 4, lines
    assert all(line.endswith(" 0 copied for alignment") for line in lines), lines


def test_a_server_that_cannot_map_the_region_is_a_remote_error(server, monkeypatch):
    from sofie_soa.serving import shm
    with client(server, "grpc", "system") as c:
        real = c.triton.register_system_shared_memory
        monkeypatch.setattr(c.triton, "register_system_shared_memory",
                            lambda name, key, size: real(name, key + "_missing", size))
        with pytest.raises(RemoteError, match="shared_memory='none'"):
            c.infer(tracks(10, seed=2))
        assert c._in.memory is None and isinstance(c._in, shm.Region)


def test_a_model_that_fails_to_load_is_a_start_error_with_the_log(repo, tmp_path):
    import shutil
    from sofie_soa.serving.locate import ServerNotFound
    from sofie_soa.serving.server import Server, ServerStartError
    broken = tmp_path / "repo"
    shutil.copytree(repo, broken)
    (broken / "track_classifier" / "1" / "model.py").write_text("raise RuntimeError('broken on purpose')\n")
    try:
        s = Server(broken, startup_timeout=120)
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    with pytest.raises(ServerStartError, match="broken on purpose") as err:
        s.start()
    assert s.log_file.is_file() and str(s.log_file) in str(err.value)     # the log is kept for reading
    assert sorted(p.name for p in s.log_file.parent.iterdir()) == ["triton.log"]
    shutil.rmtree(s.log_file.parent)


def test_stop_removes_the_temporary_folder(repo):
    from sofie_soa.serving.locate import ServerNotFound
    from sofie_soa.serving.server import Server
    try:
        s = Server(repo)
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    assert s.ready() is False and s.stop() is None and not s._work.exists()
