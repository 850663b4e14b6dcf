"""A logging filter that keeps private data out of log records."""

from __future__ import annotations

import logging

from socialcare.privacy._guard import DEFAULT_GUARD, PrivateDataGuard

__all__ = ["RedactingFilter"]


class RedactingFilter(logging.Filter):
    """Redact private data from every log record that passes (it never drops one).

    The record's message is formatted with its args, redacted with the guard
    (:meth:`PrivateDataGuard.redact`) and, when anything was found, stored back as the
    message with no args; a formatted exception or stack (``exc_info``, ``stack_info``)
    is redacted too. Records without private data are left untouched.

    A filter on a *handler* sees every record the handler emits, including those of
    child loggers (``socialcare.monitor``, ``socialcare.outbox``...) and the application's
    own: attach it there to cover everything. A filter on a *logger* sees only records
    logged on that very logger, not those propagated from its children.

    Args:
        guard: the detector (default: :data:`DEFAULT_GUARD`).
        name: as ``logging.Filter`` (records of other loggers pass untouched).
    """

    def __init__(self, guard: PrivateDataGuard = DEFAULT_GUARD, name: str = "") -> None:
        super().__init__(name)
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place when it holds private data; always ``True``."""
        if not super().filter(record):
            return True  # another logger's record: not ours to change
        message = record.getMessage()
        redacted = self.guard.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.guard.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.guard.redact(record.stack_info)
        return True
