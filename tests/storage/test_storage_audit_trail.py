"""`audit_trail` reads the whole audit log page by page, lazily."""

from __future__ import annotations

import pytest

from socialcare.models import AuditEntry
from socialcare.storage import MemoryStore, audit_trail


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.pages = 0

    def audit_entries(
        self, *, subject: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditEntry]:
        self.pages += 1
        return super().audit_entries(subject=subject, after_seq=after_seq, limit=limit)


def test_every_entry_in_order_across_pages_and_by_subject() -> None:
    store = CountingStore()
    made = [store.append_audit("a", actor="t", subject="x" if n % 2 else "y") for n in range(7)]
    assert list(audit_trail(store, page_size=3)) == made
    assert store.pages == 3  # 3 + 3 + 1
    assert list(audit_trail(store, subject="x", page_size=2)) == made[1::2]
    assert list(audit_trail(store, after_seq=made[4].seq, page_size=2)) == made[5:]
    assert list(audit_trail(store, page_size=7)) == made  # a full last page: one more read


def test_it_reads_no_page_it_does_not_need() -> None:
    store = CountingStore()
    for _ in range(10):
        store.append_audit("a", actor="t")
    trail = audit_trail(store, page_size=2)
    next(trail)
    assert store.pages == 1
    with pytest.raises(ValueError, match="page_size"):
        next(audit_trail(store, page_size=0))
