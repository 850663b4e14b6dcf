"""The conformance suite, run on every backend: memory, SQLite and PostgreSQL.

The suite itself ships in ``socialcare.testing`` (one class per storage protocol), so
third-party backends run exactly the tests socialcare's own backends run. The
``store`` fixture comes from ``conftest`` (parametrised over the backends);
``store_factory`` opens more store objects on the same database.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from storage_support import Backend

from socialcare.storage import Store
from socialcare.testing import StoreConformance


class TestEveryBackend(StoreConformance):
    @pytest.fixture
    def store_factory(self, backend: Backend) -> Callable[[], Store]:
        return backend.open
