"""Access tokens that refresh themselves, shared safely by every worker of a bot.

:class:`StoredTokens` reads the account's grant (a :class:`~socialcare.models.TokenRecord`)
from a token store and refreshes it a margin before it expires. With many workers
on one store:

* **one refresher per expiry.** A worker that finds the token inside the margin
  claims the store lease ``oauth2:refresh:<key>`` (a
  :class:`~socialcare.storage.LeaseStore` lease: exclusive, expiring, fenced). Only
  the holder calls X; the others keep using the current token while it still works,
  or poll the store (for at most ``wait`` seconds) until the new one is there.
* **rotated refresh token stored before use.** The new access *and* refresh tokens
  are written by one compare-and-swap on the record's ``version``
  (:meth:`~socialcare.storage.TokenStore.replace_token`) before the access token is
  returned to anyone, so a version that lost the lease cannot overwrite a newer grant.
* **no refresh token sent twice.** The refresh request is given at most 80% of the
  lease's ``lease_ttl``, so it has ended before another worker can take the lease
  over; a worker that X refuses reads the store again before it declares the grant
  dead (another worker's refresh may have won).
* **killed workers.** A worker killed before X answered leaves the old refresh token
  valid: the lease expires (``lease_ttl``) and another worker refreshes. A worker
  killed *after* X rotated the refresh token but *before* the store write leaves a
  refresh token X has spent: X refuses it, and the next refresh records the problem
  on the grant and raises :class:`~socialcare.errors.AuthenticationError` saying the
  account must authorise the app again (never retried in a loop). The window is
  the time between X's answer and one database write.

A grant X refuses (revoked, spent, expired) is recorded on the record's ``problem``,
so every worker reports it at once (``XPlatform.auth_problem()``, a monitor's
``health()``), until the account authorises the app again (a new ``put_token``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from socialcare._clock import Clock
from socialcare.errors import AuthenticationError, PlatformUnavailableError
from socialcare.models import TokenRecord
from socialcare.platforms.x import _redact
from socialcare.platforms.x._endpoints import OAUTH2_TOKEN
from socialcare.platforms.x._oauth2 import REAUTHORIZE

if TYPE_CHECKING:
    from socialcare.platforms.x._oauth2 import OAuth2Client

__all__ = ["RefreshLeases", "StoredTokens", "TokenProvider", "TokenRecords"]

log = logging.getLogger(__name__)


@runtime_checkable
class TokenProvider(Protocol):
    """Where ``XPlatform`` gets its OAuth 2.0 user token (``token_provider=``).

    ``access_token`` returns a token that works now (refreshing it when due);
    ``after_unauthorized`` is called once when X answered 401 to ``rejected`` and
    returns a token to retry with (refreshed unless another one is already stored);
    both raise :class:`~socialcare.errors.AuthenticationError` when the account must
    authorise the app again. ``problem`` says why the grant no longer works, or ``None``.
    """

    def access_token(self) -> str:
        """A working access token."""
        ...

    def after_unauthorized(self, rejected: str) -> str:
        """A token to retry with after X refused ``rejected`` with 401."""
        ...

    def problem(self) -> str | None:
        """Why the grant no longer works (re-authorisation needed), or ``None``."""
        ...


@runtime_checkable
class TokenRecords(Protocol):
    """What :class:`StoredTokens` needs of a token store (``socialcare.storage.TokenStore``)."""

    def get_token(self, key: str) -> TokenRecord | None:
        """See ``TokenStore.get_token``."""
        ...

    def replace_token(self, record: TokenRecord, *, version: int) -> TokenRecord | None:
        """See ``TokenStore.replace_token``."""
        ...


@runtime_checkable
class RefreshLeases(Protocol):
    """What :class:`StoredTokens` needs of a lease store (``socialcare.storage.LeaseStore``)."""

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        """See ``LeaseStore.claim_lease``."""
        ...

    def release_lease(self, key: str, owner: str) -> bool:
        """See ``LeaseStore.release_lease``."""
        ...


class _LocalLeases:
    """One process's leases (for a token store without leases): a lock per key."""

    def __init__(self) -> None:
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:  # noqa: ARG002 - no expiry in-process
        with self._lock:
            if self._held.get(key, owner) != owner:
                return False
            self._held[key] = owner
            return True

    def release_lease(self, key: str, owner: str) -> bool:
        with self._lock:
            if self._held.get(key) != owner:
                return False
            del self._held[key]
            return True


class StoredTokens:
    """A :class:`TokenProvider` on a token store, refreshed by one worker at a time.

    Args:
        client: the app's OAuth 2.0 client (refreshes go through it).
        store: where the grant is (any ``TokenStore``; an ``EncryptedTokens`` too).
        key: the record's key (written by ``put_token`` after the authorization).
        leases: the lease store coordinating workers; by default ``store`` when it is
            one (every socialcare ``Store`` is), else a lock of this process only.
        margin: refresh this many seconds before the access token expires.
        lease_ttl: seconds a refresher holds the lease; a refresh request is given
            at most 80% of it, so it always ends while the lease is held.
        wait: seconds a worker that needs a new token waits for another's refresh.
        poll: seconds between store reads while waiting.
        clock: what "now" is for expiry; the client's clock by default.
        sleep: how to wait between polls (real time).
        owner: this worker's lease owner name (unique by default).
    """

    def __init__(
        self,
        client: OAuth2Client,
        store: TokenRecords,
        key: str,
        *,
        leases: RefreshLeases | None = None,
        margin: float = 300.0,
        lease_ttl: float = 60.0,
        wait: float = 15.0,
        poll: float = 0.05,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        owner: str | None = None,
    ) -> None:
        if margin < 0 or lease_ttl <= 0 or wait < 0 or poll <= 0:
            msg = "margin and wait must not be negative; lease_ttl and poll must be positive"
            raise ValueError(msg)
        self.client = client
        self.store = store
        self.key = key
        self.leases: RefreshLeases = (
            leases
            if leases is not None
            else store
            if isinstance(store, RefreshLeases)
            else _LocalLeases()
        )
        self.margin = margin
        self.lease_ttl = lease_ttl
        self.wait = wait
        self.poll = poll
        self.clock: Clock = clock if clock is not None else client.clock
        self._sleep = sleep
        self.owner = owner if owner is not None else f"oauth2-{uuid.uuid4().hex[:12]}"
        self._lease_key = f"oauth2:refresh:{key}"
        self._cached: TokenRecord | None = None
        self._problem: str | None = None
        self._lock = threading.Lock()
        self.refreshes = 0
        """How many refreshes this provider made (X answered)."""

    def __repr__(self) -> str:
        return f"StoredTokens(key={self.key!r}, owner={self.owner!r}, margin={self.margin})"

    def problem(self) -> str | None:
        """Why the grant no longer works (seen by this provider), or ``None``."""
        return self._problem

    # ------------------------------------------------------------ TokenProvider

    def access_token(self) -> str:
        """A token that works now; refreshed (by one worker) once inside the margin."""
        cached = self._cached
        now = self.clock.now()
        if cached is not None and cached.fresh(now, margin=self.margin):
            return cached.access_token
        current = self._load()
        if current.fresh(self.clock.now(), margin=self.margin):
            return current.access_token
        return self._renew(current, rejected=None)

    def after_unauthorized(self, rejected: str) -> str:
        """A token to retry with after X answered 401 to ``rejected`` (refreshed at most once)."""
        current = self._load()
        if current.access_token != rejected and current.fresh(self.clock.now()):
            return current.access_token
        return self._renew(current, rejected=rejected)

    def revoke(self) -> None:
        """Disconnect the account: revoke the grant at X and mark the record as revoked.

        Revokes the refresh token (``POST /2/oauth2/revoke``), which ends the grant and
        its access tokens (the access token when there is no refresh token); every
        worker then gets ``AuthenticationError`` until the account authorises the
        app again. ``socialcare oauth2 revoke`` calls it from the command line.
        """
        current = self.store.get_token(self.key)
        if current is None:
            return
        if current.refresh_token is not None:
            self.client.revoke(current.refresh_token, hint="refresh_token")
        else:
            self.client.revoke(current.access_token, hint="access_token")
        self._record_problem(current, f"the grant {self.key!r} was revoked; {REAUTHORIZE}")

    # ------------------------------------------------------------ internals

    def _load(self) -> TokenRecord:
        record = self.store.get_token(self.key)
        if record is None:
            self._problem = f"no OAuth 2.0 grant is stored under {self.key!r}; {REAUTHORIZE}"
            raise AuthenticationError(self._problem)
        if record.problem is not None:
            self._problem = record.problem
            raise AuthenticationError(record.problem)
        self._problem = None
        cached = self._cached
        if cached is None or cached.version != record.version:
            _redact.REDACTOR.register(record.access_token, record.refresh_token)
        self._cached = record
        return record

    def _usable(self, record: TokenRecord, seen: TokenRecord, rejected: str | None) -> bool:
        """Whether ``record`` (read now) is a token to use instead of refreshing."""
        if rejected is not None:
            return record.access_token != rejected and record.fresh(self.clock.now())
        return record.version != seen.version and record.fresh(self.clock.now())

    def _renew(self, seen: TokenRecord, *, rejected: str | None) -> str:
        deadline = time.monotonic() + self.wait
        while True:
            if self.leases.claim_lease(self._lease_key, self.owner, ttl=self.lease_ttl):
                try:
                    return self._refresh_holding_lease(seen, rejected)
                finally:
                    self.leases.release_lease(self._lease_key, self.owner)
            current = self._load()
            if self._usable(current, seen, rejected):
                return current.access_token
            if rejected is None and current.fresh(self.clock.now()):
                return current.access_token  # inside the margin, still valid: no need to wait
            if time.monotonic() >= deadline:
                msg = (
                    f"another worker is refreshing the OAuth 2.0 token {self.key!r} and no new "
                    f"token arrived within {self.wait:g} s"
                )
                raise PlatformUnavailableError(msg, endpoint=OAUTH2_TOKEN.name)
            self._sleep(self.poll)

    def _refresh_holding_lease(self, seen: TokenRecord, rejected: str | None) -> str:
        current = self._load()
        if self._usable(current, seen, rejected) and current.fresh(
            self.clock.now(), margin=self.margin if rejected is None else 0.0
        ):
            return current.access_token  # another worker refreshed meanwhile
        if current.refresh_token is None:
            if rejected is None and current.fresh(self.clock.now()):
                return current.access_token
            problem = (
                f"the OAuth 2.0 token {self.key!r} expired and has no refresh token (ask for "
                f"the offline.access scope); {REAUTHORIZE}"
            )
            self._record_problem(current, problem)
            raise AuthenticationError(problem)
        try:
            # The request ends before the lease does, so no other worker can claim the
            # lease and send the same refresh token while this one is still in flight.
            token = self.client.refresh(current.refresh_token, timeout=self.lease_ttl * 0.8)
        except AuthenticationError as exc:
            latest = self.store.get_token(self.key)
            if latest is not None and latest.version != current.version:
                return self._load().access_token  # another worker's refresh won: use it
            problem = (
                f"X refused the refresh token of {self.key!r} (revoked or spent); {REAUTHORIZE}"
            )
            self._record_problem(current, problem)
            raise AuthenticationError(problem, status=exc.status, endpoint=exc.endpoint) from exc
        self.refreshes += 1
        renewed = attrs.evolve(
            current,
            access_token=token.access_token,
            expires_at=token.expires_at,
            refresh_token=token.refresh_token or current.refresh_token,
            scopes=token.scopes or current.scopes,
            problem=None,
        )
        stored = self.store.replace_token(renewed, version=current.version)
        if stored is None:  # written meanwhile (a new authorization): that grant wins
            log.warning(
                "OAuth 2.0 grant %r changed during a refresh; using the stored one", self.key
            )
            return self._load().access_token
        self._cached = stored
        log.info("refreshed the OAuth 2.0 token %r (version %d)", self.key, stored.version)
        return stored.access_token

    def _record_problem(self, current: TokenRecord, problem: str) -> None:
        self._problem = problem
        self.store.replace_token(attrs.evolve(current, problem=problem), version=current.version)
        log.error("OAuth 2.0 grant %r no longer works: re-authorisation needed", self.key)
