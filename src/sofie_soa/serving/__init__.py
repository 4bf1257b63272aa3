"""sofie_soa sessions served by NVIDIA Triton Inference Server, SoA buffers shipped whole.

- repository.write_repository (``python -m sofie_soa triton-repo``): a Triton model repository whose Python
  backend runs a compiled session (triton_model, handler), in a tensor form and an SoA form (soa_wire).
- server.Server (``python -m sofie_soa serve``): starts tritonserver (locate: nvidia-pytriton's bundled binary,
  --tritonserver PATH or PATH), waits for readiness, stops it.
- client.Client: both request forms over gRPC or HTTP, with system shared memory on one host.

Names are imported lazily, so the server's stub needs no tritonclient and ``import sofie_soa`` stays light.
"""

_NAMES = {"Client": "client", "RemoteError": "errors", "Server": "server", "ServerStartError": "errors",
          "ServerNotFound": "errors", "find_tritonserver": "locate", "write_repository": "repository",
          "SoABinding": "soa_layout", "binding": "soa_layout", "RequestError": "errors"}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'sofie_soa.serving' has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(f"sofie_soa.serving.{_NAMES[name]}"), name)
