"""XPlatform on refreshing OAuth 2.0 tokens: margin, 401 retry, dead grants, several workers."""

from __future__ import annotations

import datetime as dt
import logging

import attrs
import pytest

from socialcare import ManualClock
from socialcare.errors import AuthenticationError, ConfigurationError, PlatformUnavailableError
from socialcare.models import TokenRecord
from socialcare.monitor import Monitor
from socialcare.platforms.x import (
    OAuth2Client,
    OAuth2Token,
    StoredTokens,
    TokenProvider,
    XPlatform,
)
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore

KEY = "x:acme"


class Bot:
    """One sandbox, an authorised app and the grant stored under ``KEY``."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.sandbox = Sandbox(clock=self.clock)
        self.sandbox.add_user("acme")
        app = self.sandbox.register_oauth2_app("acme")
        self.client = OAuth2Client(
            app.client_id,
            client_secret=app.client_secret,
            redirect_uri=app.redirect_uri,
            transport=self.sandbox.transport(),
            clock=self.clock,
        )
        self.store = MemoryStore(clock=self.clock)
        request = self.client.authorization()
        token = self.client.exchange(request, self.sandbox.approve(request.url))
        self.store.put_token(token.record(KEY))

    def tokens(self, **kw: object) -> StoredTokens:
        return StoredTokens(self.client, self.store, KEY, **kw)  # type: ignore[arg-type]

    def platform(self, provider: TokenProvider | None = None) -> XPlatform:
        return XPlatform(
            token_provider=provider or self.tokens(),
            transport=self.sandbox.transport(),
            clock=self.clock,
            max_attempts=1,
        )

    def record(self) -> TokenRecord:
        record = self.store.get_token(KEY)
        assert record is not None
        return record

    def token_calls(self) -> int:
        return sum(1 for call in self.sandbox.calls if call.endpoint == "POST /2/oauth2/token")


@pytest.fixture
def bot() -> Bot:
    return Bot()


def test_the_token_is_refreshed_a_margin_before_it_expires(bot: Bot) -> None:
    x = bot.platform(bot.tokens(margin=300))
    first = bot.record()
    assert x.me().username == "acme"
    bot.clock.advance(2 * 3600 - 301)
    assert x.me().username == "acme"
    assert bot.record() == first
    assert bot.sandbox.oauth2.refreshes == []
    bot.clock.advance(2)
    assert x.me().username == "acme"
    renewed = bot.record()
    assert renewed.version == first.version + 1
    assert renewed.refresh_token not in {None, first.refresh_token}
    assert renewed.expires_at == bot.clock.now() + dt.timedelta(hours=2)
    assert len(bot.sandbox.oauth2.refreshes) == 1
    for _ in range(3):  # later calls use the stored token
        x.me()
    assert len(bot.sandbox.oauth2.refreshes) == 1
    # 48 hours of calls every 10 minutes: one refresh per two-hour token.
    for _ in range(6 * 48):
        bot.clock.advance(600)
        x.me()
    assert len(bot.sandbox.oauth2.refreshes) == 1 + 48 // 2
    assert bot.sandbox.oauth2.reused_refresh_tokens == 0


def test_a_fixed_user_token_still_works_until_it_expires(bot: Bot) -> None:
    x = XPlatform(user_token=bot.record().access_token, transport=bot.sandbox.transport())
    assert x.me().username == "acme"
    bot.clock.advance(7200)
    with pytest.raises(AuthenticationError):
        x.me()


def test_a_401_refreshes_once_and_retries_once(bot: Bot) -> None:
    x = bot.platform()
    stale = bot.record()
    bot.client.revoke(stale.access_token, hint="access_token")
    assert x.me().username == "acme"
    assert len(bot.sandbox.oauth2.refreshes) == 1
    assert bot.record().version == stale.version + 1
    statuses = [c.status for c in bot.sandbox.calls if c.endpoint == "GET /2/users/me"]
    assert statuses == [401, 200]


def test_a_401_after_a_refresh_is_not_retried_again(bot: Bot) -> None:
    class Rejecting:
        """Hands out a token the sandbox never issued, then another."""

        def __init__(self) -> None:
            self.retries = 0

        def access_token(self) -> str:
            return "sbxo-never-issued-one"

        def after_unauthorized(self, rejected: str) -> str:
            assert rejected == "sbxo-never-issued-one"
            self.retries += 1
            return "sbxo-never-issued-two"

        def problem(self) -> str | None:
            return None

    provider = Rejecting()
    with pytest.raises(AuthenticationError):
        bot.platform(provider).me()
    assert provider.retries == 1
    assert [c.status for c in bot.sandbox.calls if c.endpoint == "GET /2/users/me"] == [401, 401]


def test_a_revoked_grant_says_reauthorise_and_the_monitor_reports_it(bot: Bot) -> None:
    x = bot.platform()
    bot.client.revoke(str(bot.record().refresh_token), hint="refresh_token")
    with pytest.raises(AuthenticationError, match="authorise the app again") as caught:
        x.me()
    assert "sbxr" not in str(caught.value)
    assert bot.record().problem is not None
    assert x.auth_problem() is not None
    calls = bot.token_calls()
    other = bot.platform()  # another worker: reads the problem, never asks X again
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        other.me()
    assert bot.token_calls() == calls
    monitor = Monitor(x, bot.store, clock=bot.clock)
    health = monitor.health()
    assert health.auth_problem is not None
    assert "authorise the app again" in health.auth_problem
    assert not health.ok


def test_a_refresh_token_rotated_but_not_stored_is_reported_not_looped(bot: Bot) -> None:
    """A worker died after X rotated the refresh token and before the store write."""
    bot.client.refresh(str(bot.record().refresh_token))  # the lost rotation
    bot.clock.advance(7200)
    x = bot.platform()
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        x.me()
    with pytest.raises(AuthenticationError, match="authorise the app again"):
        x.me()
    assert bot.sandbox.oauth2.reused_refresh_tokens == 1
    # The code exchange, the lost rotation and one refused refresh: no loop.
    assert bot.token_calls() == 3


def test_a_new_authorisation_clears_the_problem(bot: Bot) -> None:
    x = bot.platform()
    bot.client.revoke(str(bot.record().refresh_token))
    with pytest.raises(AuthenticationError):
        x.me()
    request = bot.client.authorization()
    token = bot.client.exchange(request, bot.sandbox.approve(request.url))
    bot.store.put_token(token.record(KEY))
    assert x.me().username == "acme"
    assert x.auth_problem() is None


def test_without_a_refresh_token_expiry_needs_reauthorisation(bot: Bot) -> None:
    bot.store.put_token(attrs.evolve(bot.record(), refresh_token=None))
    x = bot.platform()
    assert x.me().username == "acme"
    bot.clock.advance(7200)
    with pytest.raises(AuthenticationError, match=r"offline\.access"):
        x.me()


def test_waiting_workers_read_the_token_another_worker_refreshed(bot: Bot) -> None:
    refresher = bot.tokens(owner="w1")
    polls: list[float] = []

    def meanwhile(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 2:  # w1 finishes the refresh it started
            bot.store.release_lease("oauth2:refresh:" + KEY, "w1")
            refresher.access_token()

    waiter = bot.tokens(owner="w2", sleep=meanwhile, poll=0.01)
    bot.clock.advance(7200)  # expired: the waiter cannot use the old token
    assert bot.store.claim_lease("oauth2:refresh:" + KEY, "w1", ttl=60)
    token = waiter.access_token()
    assert token == bot.record().access_token
    assert len(polls) == 2
    assert len(bot.sandbox.oauth2.refreshes) == 1
    assert (refresher.refreshes, waiter.refreshes) == (1, 0)


def test_inside_the_margin_other_workers_keep_the_valid_token(bot: Bot) -> None:
    old = bot.record()
    bot.clock.advance(7200 - 60)
    assert bot.store.claim_lease("oauth2:refresh:" + KEY, "busy", ttl=60)
    assert bot.tokens(margin=300).access_token() == old.access_token
    assert bot.sandbox.oauth2.refreshes == []


def test_waiting_is_bounded(bot: Bot) -> None:
    bot.clock.advance(7200)
    assert bot.store.claim_lease("oauth2:refresh:" + KEY, "stuck", ttl=600)
    waits: list[float] = []
    tokens = bot.tokens(wait=0.0, sleep=waits.append)
    with pytest.raises(PlatformUnavailableError, match="another worker is refreshing"):
        tokens.access_token()
    assert waits == []


def test_a_dead_refreshers_lease_expires_and_another_refreshes(bot: Bot) -> None:
    bot.clock.advance(7200)
    assert bot.store.claim_lease("oauth2:refresh:" + KEY, "killed", ttl=5)

    def later(_seconds: float) -> None:
        bot.clock.advance(1)  # the store's clock: the dead worker's lease runs out

    token = bot.tokens(sleep=later, wait=60).access_token()
    assert token == bot.record().access_token
    assert len(bot.sandbox.oauth2.refreshes) == 1


def test_tokens_never_reach_logs_or_reprs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    provider = bot.tokens()
    x = bot.platform(provider)
    with caplog.at_level(logging.DEBUG):
        bot.clock.advance(7200)
        x.me()
    record = bot.record()
    for secret in (record.access_token, str(record.refresh_token)):
        assert secret not in caplog.text
        assert secret not in repr(record)
        assert secret not in repr(provider)
        assert secret not in repr(x)
    assert "refreshed the OAuth 2.0 token" in caplog.text


def test_user_token_and_provider_together_are_refused(bot: Bot) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        XPlatform(user_token="t" * 20, token_provider=bot.tokens())


def test_revoke_from_the_api_disconnects_every_worker(bot: Bot) -> None:
    provider = bot.tokens()
    x, other = bot.platform(provider), bot.platform()
    assert x.me().username == "acme"
    provider.revoke()
    for platform in (x, other):
        with pytest.raises(AuthenticationError, match="was revoked"):
            platform.me()
    assert bot.sandbox.oauth2.live_grants() == 0
    assert bot.record().problem is not None
    provider.revoke()  # revoking again asks X again and changes nothing
    bot.store.delete_token(KEY)
    provider.revoke()  # nothing stored: nothing to do


def test_a_refusal_after_another_workers_refresh_uses_its_token(bot: Bot) -> None:
    """A worker whose lease ran out mid-refresh won at X first; this one is refused."""
    bot.clock.advance(7200)
    competitor = bot.tokens(owner="other")

    class Late(OAuth2Client):
        def refresh(self, refresh_token: str, *, timeout: float | None = None) -> OAuth2Token:
            bot.store.release_lease("oauth2:refresh:" + KEY, "late")
            competitor.access_token()  # the other worker refreshes and stores first
            return super().refresh(refresh_token, timeout=timeout)

    late_client = Late(
        bot.client.client_id,
        client_secret=bot.client._secret,
        redirect_uri=bot.client.redirect_uri,
        transport=bot.sandbox.transport(),
        clock=bot.clock,
    )
    late = StoredTokens(late_client, bot.store, KEY, owner="late")
    assert late.access_token() == bot.record().access_token
    assert bot.record().problem is None
    assert bot.sandbox.oauth2.reused_refresh_tokens == 1  # X refused the late worker
    assert len(bot.sandbox.oauth2.refreshes) == 1
