"""Errors and contexts: every call that can fail returns a status, turned here into an exception."""
from __future__ import annotations

import weakref

from ._native import ffi, lib, text

#: The statuses by number (include/warmstart.h), for messages and Error.status_name.
STATUS_NAMES = {
    lib.WARMSTART_OK: "OK",
    lib.WARMSTART_ERR_ARG: "ERR_ARG",
    lib.WARMSTART_ERR_IO: "ERR_IO",
    lib.WARMSTART_ERR_FORMAT: "ERR_FORMAT",
    lib.WARMSTART_ERR_NOMEM: "ERR_NOMEM",
    lib.WARMSTART_ERR_NUMERIC: "ERR_NUMERIC",
    lib.WARMSTART_INTERRUPTED: "INTERRUPTED",
}


class Error(Exception):
    """A failure the library reported: ``status`` (WARMSTART_ERR_ARG, ...) and its message.

    The message is the library's one line, naming the option, file or learner and the reason
    ("unknown option '--subsett'", "results/x: No such file or directory").
    """

    def __init__(self, status: int, message: str):
        super().__init__(message or f"warmstart failed with status {status}")
        self.status = status
        self.message = message

    @property
    def status_name(self) -> str:
        """The status's name without its prefix ("ERR_ARG")."""
        return STATUS_NAMES.get(self.status, str(self.status))


class Context:
    """A warmstart_context: the threads its runs use and its last error (freed with the object)."""

    def __init__(self, threads: int = 0):
        out = ffi.new("warmstart_context **")
        status = lib.warmstart_context_new(int(threads), out)
        if status:
            raise Error(status, "out of memory for a context")
        self.ptr = out[0]
        self._free = weakref.finalize(self, lib.warmstart_context_free, self.ptr)

    def error(self) -> str:
        """The message of the last failure on this context."""
        return text(lib.warmstart_error(self.ptr))

    def check(self, status: int) -> None:
        """Raise Error with this context's message unless status is WARMSTART_OK."""
        if status:
            raise Error(status, self.error())

    def close(self) -> None:
        """Free the context now (also done when it is collected)."""
        self._free()
