"""The exit codes of ``socialcare`` and the error that carries one."""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "EXIT_CREDENTIALS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_STORE",
    "EXIT_USAGE",
    "CommandError",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CREDENTIALS = 3
EXIT_STORE = 4
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: (
        "the command failed while running (the platform or a component refused); "
        "guard: outbound activity not sent by the outbox"
    ),
    EXIT_USAGE: "bad arguments or a bad config file (the key and line are named)",
    EXIT_CREDENTIALS: "missing credentials, secret or optional dependency (named)",
    EXIT_STORE: "the store cannot be opened: unreachable, or its schema is missing or newer",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}
"""What each exit code of ``socialcare`` means."""


class CommandError(Exception):
    """A command's failure, with the exit code and the message to print."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
