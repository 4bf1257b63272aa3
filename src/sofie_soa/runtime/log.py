"""The package's logger, ``logging.getLogger("sofie_soa")``: build progress at INFO ("compiling …", "compiled …
in X s", "fetching alpaka headers …"), problems a user should see at WARNING.

A program that configures logging (any handler on the root logger, e.g. ``logging.basicConfig``) receives these
records like any other library's, and silences them the usual way::

    logging.getLogger("sofie_soa").setLevel(logging.WARNING)    # no build progress
    logging.getLogger("sofie_soa").disabled = True              # nothing at all

A program that configures nothing still sees the build progress on stderr (``sofie_soa: compiling …``): the
logger's level defaults to INFO, and a handler here writes its records to stderr only while the root logger has
no handler of its own, so nothing is ever printed twice.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("sofie_soa")


def _root_unconfigured(record: logging.LogRecord) -> bool:
    """True while the program has put no handler on the root logger (then nobody else would show `record`)."""
    return not logging.getLogger().handlers


class _FallbackHandler(logging.StreamHandler):
    """stderr, ``sofie_soa: <message>``, only for programs that configure no logging of their own."""

    def __init__(self) -> None:
        super().__init__()      # sys.stderr, looked up at each record (pytest and IPython replace it)
        self.setFormatter(logging.Formatter("sofie_soa: %(message)s"))
        self.addFilter(_root_unconfigured)

    @property
    def stream(self):
        import sys
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:   # StreamHandler.__init__ assigns it; stderr is always looked up instead
        pass


if not any(isinstance(h, _FallbackHandler) for h in logger.handlers):
    logger.addHandler(_FallbackHandler())
if logger.level == logging.NOTSET:      # a level the host set before importing sofie_soa is kept
    logger.setLevel(logging.INFO)
