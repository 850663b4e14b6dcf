"""Tokens encrypted at rest: the token conformance suite through ``EncryptedTokens``, on every
backend, and the database never holds a token in clear."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from storage_support import Backend

from socialcare.errors import ConfigurationError, StorageError
from socialcare.storage import EncryptedTokens, Store, TokenStore
from socialcare.storage._conformance import grant
from socialcare.testing import TokenStoreConformance

KEY = EncryptedTokens.generate_key()


class TestEncryptedTokens(TokenStoreConformance):
    @pytest.fixture
    def store(self, backend: Backend) -> TokenStore:
        return EncryptedTokens(backend.open(), KEY)

    @pytest.fixture
    def store_factory(self, backend: Backend) -> Callable[[], TokenStore]:
        return lambda: EncryptedTokens(backend.open(), KEY)


def test_the_database_holds_no_token_in_clear(store: Store) -> None:
    sealed = EncryptedTokens(store, KEY)
    stored = sealed.put_token(grant())
    raw = store.get_token("x:acme")
    assert raw is not None
    assert stored.access_token == "access-1-secretvalue"
    assert "secretvalue" not in raw.access_token
    assert raw.refresh_token is not None
    assert "secretvalue" not in raw.refresh_token
    assert (raw.version, raw.scopes, raw.expires_at) == (1, stored.scopes, stored.expires_at)
    assert "secretvalue" not in repr(sealed)
    assert KEY.decode() not in repr(sealed)


def test_a_wrong_key_is_a_storage_error(store: Store) -> None:
    EncryptedTokens(store, KEY).put_token(grant())
    with pytest.raises(StorageError, match="cannot be decrypted") as caught:
        EncryptedTokens(store, EncryptedTokens.generate_key()).get_token("x:acme")
    assert "secretvalue" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        EncryptedTokens(store, b"short")
