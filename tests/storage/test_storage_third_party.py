"""A third-party, single-concern backend passes its suite through the public helper.

``DictLeases`` stands for what a user writes (leases on Redis, say): it implements
only :class:`~socialcare.storage.LeaseStore`, with its own argument checks, and runs
``socialcare.testing.LeaseStoreConformance`` exactly as documented in docs/storage.md.
"""

from __future__ import annotations

import datetime as dt
import math
import threading

import pytest

from socialcare import LeaseError, ManualClock
from socialcare.models import Lease
from socialcare.storage import MAX_TTL, LeaseStore, MemoryStore
from socialcare.testing import LeaseStoreConformance, StoreConformance


def _text(name: str, value: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise ValueError(f"{name} must be a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} holds a lone surrogate") from None
    if "\x00" in value:
        raise ValueError(f"{name} holds a NUL character")
    return value


def _ttl(ttl: float) -> dt.timedelta:
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise ValueError("ttl must be a number")  # noqa: TRY004 - the contract says ValueError
    if not math.isfinite(ttl) or not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be in (0, {MAX_TTL}]")
    return dt.timedelta(microseconds=round(ttl * 1_000_000))


def _short(value: str) -> str:
    return repr(value[:40])


class DictLeases:
    """Leases in a dict: the smallest honest LeaseStore."""

    def __init__(self, *, clock: ManualClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._leases: dict[str, Lease] = {}
        self._tokens: dict[str, int] = {}

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        _text("key", key, empty=False)
        _text("owner", owner, empty=False)
        span = _ttl(ttl)
        with self._lock:
            now = self._clock.now()
            held = self._leases.get(key)
            if held is not None and held.owner == owner:
                since = min(held.acquired_at, now)  # a clock gone back: held from now
                self._leases[key] = Lease(key, owner, since, now + span, held.token, now)
                return True
            if held is not None and held.expires_at > now and held.renewed_at <= now + span:
                return False  # live (renewed later than now + ttl: from a future gone by)
            self._tokens[key] = token = self._tokens.get(key, 0) + 1
            self._leases[key] = Lease(key, owner, now, now + span, token, now)
            return True

    def renew_lease(self, key: str, owner: str, *, ttl: float) -> Lease:
        _text("key", key)
        _text("owner", owner, empty=False)
        span = _ttl(ttl)
        with self._lock:
            now = self._clock.now()
            held = self._leases.get(key)
            if held is None or held.owner != owner:
                raise LeaseError(f"lease {_short(key)} is not held by {_short(owner)}")
            if held.expires_at <= now:
                raise LeaseError(f"lease {_short(key)} expired; claim it again")
            lease = Lease(key, owner, min(held.acquired_at, now), now + span, held.token, now)
            self._leases[key] = lease
            return lease

    def release_lease(self, key: str, owner: str) -> bool:
        _text("key", key)
        _text("owner", owner, empty=False)
        with self._lock:
            held = self._leases.get(key)
            if held is None or held.owner != owner:
                return False
            del self._leases[key]
            return True

    def get_lease(self, key: str) -> Lease | None:
        _text("key", key)
        with self._lock:
            held = self._leases.get(key)
            return held if held is not None and held.expires_at > self._clock.now() else None

    def list_leases(self, *, prefix: str = "") -> list[Lease]:
        _text("prefix", prefix)
        with self._lock:
            now = self._clock.now()
            return [
                lease
                for key, lease in sorted(self._leases.items())
                if key.startswith(prefix) and lease.expires_at > now
            ]


def test_dict_leases_is_a_lease_store_and_nothing_more() -> None:
    leases = DictLeases(clock=ManualClock())
    assert isinstance(leases, LeaseStore)
    assert not hasattr(leases, "upsert_posts")


class TestDictLeases(LeaseStoreConformance):
    @pytest.fixture
    def store(self, clock: ManualClock) -> DictLeases:
        return DictLeases(clock=clock)


class TestMemoryStoreThroughThePublicHelperAlone(StoreConformance):
    """The documented recipe, with nothing from socialcare's own test fixtures."""

    @pytest.fixture
    def store(self, clock: ManualClock) -> MemoryStore:
        return MemoryStore(clock=clock)


class _ForgetfulLeases(DictLeases):
    """A broken backend: an expired lease is handed over without a new fencing token."""

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        won = super().claim_lease(key, owner, ttl=ttl)
        self._tokens[key] = 0
        return won


def test_the_suite_catches_a_broken_backend() -> None:
    suite = LeaseStoreConformance()
    with pytest.raises(AssertionError):
        suite.test_release_lets_the_next_owner_in(_ForgetfulLeases(clock=ManualClock()))
    suite.test_release_lets_the_next_owner_in(DictLeases(clock=ManualClock()))
