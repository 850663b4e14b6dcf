"""Pluggable storage: the ``Store`` protocol and its backends.

Care work is state: what was seen, what was answered, who holds a conversation,
what was sent. Every socialcare component keeps it in a :class:`Store`:

* :class:`MemoryStore` for tests, notebooks and one-process scripts;
* :class:`SQLiteStore`, the embedded default, one file shared by threads and processes;
* :class:`~socialcare.storage.postgres.PostgresStore` (``pip install 'socialcare[postgres]'``)
  for many workers on many machines.

All three pass one conformance suite. Open a store explicitly with its schema::

    from socialcare.storage import SQLiteStore

    store = SQLiteStore("care.db", create_schema=True)
    if store.claim_lease("conversation:123", "agent-7", ttl=300):
        ...
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.storage._memory import MemoryStore
from socialcare.storage._open import open_store
from socialcare.storage._protocol import Store
from socialcare.storage._schema import SCHEMA_VERSION
from socialcare.storage._sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "MemoryStore",
    "SQLiteStore",
    "Store",
    "open_store",
]

publish(__name__, globals(), __all__)
