"""The exceptions of sofie_soa.serving, in one module without heavy imports (so ``sofie_soa`` can export them
without importing tritonclient)."""


class RemoteError(RuntimeError):
    """The server refused or failed a request; the message is the server's (it names the input and numbers)."""


class RequestError(ValueError):
    """A request that does not fit the served model (handler.Handler); inside the server its message goes back to
    the client, which raises RemoteError with it."""


class ServerNotFound(FileNotFoundError):
    """No tritonserver binary was found; the message says where it looked and how to get one."""


class ServerStartError(RuntimeError):
    """The server exited or did not become ready in time; the message holds the log's tail and its path."""
