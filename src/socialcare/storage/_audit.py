"""Reading the whole audit log (or one subject's part of it), page by page."""

from __future__ import annotations

from collections.abc import Iterator

from socialcare.models import AuditEntry
from socialcare.storage._protocol import AuditLog

__all__ = ["audit_trail"]


def audit_trail(
    store: AuditLog, *, subject: str | None = None, after_seq: int = 0, page_size: int = 500
) -> Iterator[AuditEntry]:
    """Every audit entry with ``seq > after_seq`` (about ``subject`` if given), in order.

    Reads :meth:`~socialcare.storage.AuditLog.audit_entries` ``page_size`` entries at
    a time, lazily: stop iterating and no further page is read. Entries appended
    while iterating are returned when their page is read.
    """
    if page_size < 1:
        msg = f"page_size must be at least 1, got {page_size}"
        raise ValueError(msg)
    after = after_seq
    while True:
        page = store.audit_entries(subject=subject, after_seq=after, limit=page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].seq
