"""Tokens encrypted at rest: a :class:`~socialcare.storage.TokenStore` wrapper using Fernet.

``pip install 'socialcare[crypto]'`` (the ``cryptography`` package). The key is the
user's (``EncryptedTokens.generate_key()`` makes one); keep it out of the database.
"""

from __future__ import annotations

from typing import Any

import attrs

from socialcare.errors import ConfigurationError, StorageError
from socialcare.models import TokenRecord
from socialcare.storage._common import check_token_record
from socialcare.storage._protocol import TokenStore

__all__ = ["EncryptedTokens"]


def _fernet_module() -> Any:
    try:
        import cryptography.fernet  # noqa: PLC0415 - an optional extra
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        msg = "EncryptedTokens needs the crypto extra: pip install 'socialcare[crypto]'"
        raise ConfigurationError(msg) from exc
    return cryptography.fernet


class EncryptedTokens:
    """A :class:`~socialcare.storage.TokenStore` keeping access and refresh tokens encrypted.

    Wraps any token store; the tokens are encrypted (Fernet: AES-128-CBC with an
    HMAC-SHA256, from ``cryptography``) before they reach it and decrypted when read,
    so the database never holds them in clear. Everything else (expiry, scopes,
    versions) is stored as is, and the compare-and-swap stays the inner store's.

    Args:
        inner: where the records are kept.
        key: a Fernet key (32 url-safe base64-encoded bytes; :meth:`generate_key`).

    Raises:
        ConfigurationError: ``cryptography`` is not installed, or the key is not a Fernet key.
    """

    def __init__(self, inner: TokenStore, key: bytes | str) -> None:
        fernet = _fernet_module()
        try:
            self._fernet = fernet.Fernet(key)
        except (ValueError, TypeError) as exc:
            msg = "EncryptedTokens: the key is not a Fernet key (32 url-safe base64 bytes)"
            raise ConfigurationError(msg) from exc
        self._invalid = fernet.InvalidToken
        self.inner = inner

    @staticmethod
    def generate_key() -> bytes:
        """A new random Fernet key."""
        key: bytes = _fernet_module().Fernet.generate_key()
        return key

    def __repr__(self) -> str:
        return f"EncryptedTokens({self.inner!r}, key='***')"

    def _seal(self, value: str) -> str:
        return str(self._fernet.encrypt(value.encode()).decode("ascii"))

    def _open(self, value: str) -> str:
        try:
            return str(self._fernet.decrypt(value.encode("ascii")).decode())
        except (self._invalid, ValueError) as exc:
            msg = "a stored token cannot be decrypted with this key (wrong key, or not encrypted)"
            raise StorageError(msg) from exc

    def _sealed(self, record: TokenRecord) -> TokenRecord:
        check_token_record(record)  # refused as the inner store would, before encrypting
        return attrs.evolve(
            record,
            access_token=self._seal(record.access_token),
            refresh_token=None
            if record.refresh_token is None
            else self._seal(record.refresh_token),
        )

    def _opened(self, record: TokenRecord | None) -> TokenRecord | None:
        if record is None:
            return None
        return attrs.evolve(
            record,
            access_token=self._open(record.access_token),
            refresh_token=None
            if record.refresh_token is None
            else self._open(record.refresh_token),
        )

    def get_token(self, key: str) -> TokenRecord | None:
        """See :meth:`TokenStore.get_token`."""
        return self._opened(self.inner.get_token(key))

    def put_token(self, record: TokenRecord) -> TokenRecord:
        """See :meth:`TokenStore.put_token`."""
        stored = self._opened(self.inner.put_token(self._sealed(record)))
        assert stored is not None  # noqa: S101 - a put returns its record
        return stored

    def replace_token(self, record: TokenRecord, *, version: int) -> TokenRecord | None:
        """See :meth:`TokenStore.replace_token`."""
        return self._opened(self.inner.replace_token(self._sealed(record), version=version))

    def delete_token(self, key: str) -> bool:
        """See :meth:`TokenStore.delete_token`."""
        return self.inner.delete_token(key)
