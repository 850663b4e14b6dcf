"""Conversations from platforms and stores: backfill, whole fetches, store-backed threading.

The I/O side of :mod:`socialcare.threads`: :func:`backfill` fetches the posts a thread
references but lacks, :func:`conversation` fetches a whole conversation,
:class:`StoreThreader` keeps threads and their care records in a store, and
:func:`read_twcs` reads the twcs CSV layout (Kaggle "Customer Support on Twitter").
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.conversations._fetch import BATCH, BackfillReport, backfill, conversation
from socialcare.conversations._store import StoreThreader, ThreadStore
from socialcare.conversations._twcs import TwcsData, read_twcs

__all__ = [
    "BATCH",
    "BackfillReport",
    "StoreThreader",
    "ThreadStore",
    "TwcsData",
    "backfill",
    "conversation",
    "read_twcs",
]

publish(__name__, globals(), __all__)
