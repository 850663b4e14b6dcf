"""OAuth 2.0 user tokens as a store record (see ``TokenStore`` and ``docs/oauth2.md``)."""

from __future__ import annotations

import datetime as dt

import attrs

from socialcare.models._care import _aware, _non_empty, _utc, _utc_required

__all__ = ["TokenRecord"]


def _scopes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(scope) for scope in value)  # type: ignore[attr-defined]  # any iterable


@attrs.frozen(repr=False)
class TokenRecord:
    """One account's OAuth 2.0 grant as stored: the access token, its expiry, the refresh token.

    ``repr`` never shows a token. Built with :meth:`issued`; the store sets
    ``version`` (it grows by one with every write, so a compare-and-swap on it
    makes exactly one of several refreshing workers win) and ``updated_at``.

    Attributes:
        key: what the record is stored under (one per account and app, for example
            ``"x:acmehelp"``).
        access_token: the bearer token for user-context requests.
        expires_at: when the access token stops working (two hours after issue on X).
        refresh_token: the single-use refresh token (``None`` without ``offline.access``).
        scopes: the scopes granted.
        account_id: the account the grant acts as, when known.
        version: the store's version of the record (0: never stored).
        updated_at: when the store last wrote it.
        problem: why the grant no longer works (X refused the refresh token: the
            account must authorise the app again); ``None`` while it works.
    """

    key: str = attrs.field(validator=_non_empty)
    access_token: str = attrs.field(validator=_non_empty, repr=False)
    expires_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    refresh_token: str | None = None
    scopes: tuple[str, ...] = attrs.field(default=(), converter=_scopes)
    account_id: str | None = None
    version: int = 0
    updated_at: dt.datetime | None = attrs.field(default=None, converter=_utc, validator=_aware)
    problem: str | None = None

    @classmethod
    def issued(
        cls,
        key: str,
        *,
        access_token: str,
        expires_at: dt.datetime,
        refresh_token: str | None = None,
        scopes: tuple[str, ...] | str = (),
        account_id: str | None = None,
    ) -> TokenRecord:
        """A record for tokens X just issued (not stored yet: ``version`` 0)."""
        return cls(
            key=key,
            access_token=access_token,
            expires_at=expires_at,
            refresh_token=refresh_token,
            scopes=scopes,
            account_id=account_id,
        )

    def fresh(self, now: dt.datetime, *, margin: float = 0.0) -> bool:
        """Whether the access token still works ``margin`` seconds after ``now``."""
        return self.problem is None and now + dt.timedelta(seconds=margin) < self.expires_at

    def __repr__(self) -> str:
        refresh = "None" if self.refresh_token is None else "'***'"
        return (
            f"TokenRecord(key={self.key!r}, access_token='***', "
            f"expires_at={self.expires_at.isoformat()!r}, refresh_token={refresh}, "
            f"scopes={self.scopes!r}, account_id={self.account_id!r}, version={self.version}, "
            f"problem={self.problem!r})"
        )
