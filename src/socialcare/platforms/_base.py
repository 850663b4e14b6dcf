"""The ``Platform`` protocol: what socialcare needs from a social network, typed.

Everything here is pure: no I/O, no third-party types. ``XPlatform`` (in
``socialcare.platforms.x``) implements the protocol on top of tweepy; the
sandbox serves the same wire protocol offline.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol, runtime_checkable

import attrs

from socialcare.models import DirectMessage, Page, Post, User

__all__ = ["Platform", "QueryLike", "RateLimit", "ReplySettings", "SupportsRender"]


@runtime_checkable
class SupportsRender(Protocol):
    """Anything that renders to X search-query text (``socialcare.Query`` does)."""

    def render(self) -> str:
        """The query as X's search syntax."""
        ...


QueryLike = str | SupportsRender
"""A search query: raw X syntax, or an object with ``render()``."""

ReplySettings = Literal["following", "mentionedUsers", "subscribers", "verified"]
"""Who may reply to a new post, as ``POST /2/tweets`` takes it (omitted: everyone)."""


def query_text(query: QueryLike, *, max_length: int | None = None) -> str:
    """The X syntax of ``query``.

    A renderable whose ``render`` takes ``max_length`` (``socialcare.Query``) is
    rendered for the endpoint's limit (512 recent, 1,024 full archive), so its
    own validation applies the right one.

    Raises:
        TypeError: ``query`` is neither a string nor renderable.
        QueryError: the renderable refuses to render (too long, invalid).
    """
    if isinstance(query, str):
        return query
    rendered = getattr(query, "render", None)
    text: object = None
    if callable(rendered):
        try:
            takes_limit = "max_length" in inspect.signature(rendered).parameters
        except (TypeError, ValueError):  # builtins without a signature
            takes_limit = False
        text = rendered(max_length=max_length) if takes_limit else rendered()
    if isinstance(text, str):
        return text
    msg = f"query must be a str or have .render() returning str, got {type(query).__name__}"
    raise TypeError(msg)


@attrs.frozen
class RateLimit:
    """The rate-limit state of one endpoint, as the platform last reported it.

    Attributes:
        endpoint: the endpoint, for example ``"GET /2/tweets/search/recent"``.
        limit: requests allowed per window.
        remaining: requests left in the current window.
        reset_at: when the window resets (UTC).
        seen_at: when this state was observed (UTC, the platform client's clock).
    """

    endpoint: str
    limit: int
    remaining: int
    reset_at: dt.datetime
    seen_at: dt.datetime

    @property
    def exhausted(self) -> bool:
        """Whether no request is left in the window."""
        return self.remaining <= 0


@runtime_checkable
class Platform(Protocol):
    """A social platform seen through socialcare's models.

    Contract, for every implementation:

    * Every method returns socialcare models (``Post``, ``User``,
      ``DirectMessage``) or ``Page`` values; no third-party type escapes.
    * Failures raise subclasses of :class:`~socialcare.errors.PlatformError`
      (auth, not found, rate limit, unavailable, reply/DM not permitted,
      duplicate content, invalid request); nothing else escapes, except
      ``ValueError``/``TypeError`` for arguments that are wrong before any
      request is made.
    * Reads may be retried by the implementation; writes are never silently
      performed twice. A write that failed in a way that may have taken effect
      raises ``PlatformUnavailableError`` with ``ambiguous=True`` (or, by default,
      is reconciled first: ``create_post``/``send_dm`` with ``reconcile=True``
      look for it with ``find_post``/``find_dm`` and send again only if it is
      not there).
    * Pages are reverse-chronological (newest first), as X returns them.
    * Methods are safe to call from one thread at a time; implementations
      document if they are thread-safe.

    Optional attribute: ``clock``, a :class:`~socialcare.Clock` giving the time the
    platform lives in. It is not part of the structural check (a platform without
    it still is a ``Platform``), but a :class:`~socialcare.monitor.Monitor` built
    without ``clock=`` uses it when present (else the system clock), so that X's
    windows (7-day search, 30-day DM events), schedules and leases are judged in
    the platform's time. ``XPlatform.clock`` is the clock it was given (the
    sandbox's, for ``Sandbox.platform()``), else the system clock.

    Optional method: ``usage()``, the app's pay-per-use bill so far as a
    :class:`~socialcare.platforms.x.Usage`, or ``None`` when the platform cannot
    know it. Not part of the structural check either; a ``Monitor`` reports the
    difference over each cycle as the cycle's billed price (else it estimates).
    ``XPlatform.usage()`` reads the sandbox's ledger for ``Sandbox.platform()``
    and is ``None`` on X (which reports no bill over the API).

    Optional method: ``auth_problem()``, why user context no longer works (an OAuth
    2.0 grant X refused: re-authorisation needed), or ``None``; a ``Monitor``
    reports it in ``health()``. ``XPlatform`` has it (see ``docs/oauth2.md``).
    """

    def me(self) -> User:
        """The authenticated (acting) user."""
        ...

    def search_recent(
        self,
        query: QueryLike,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        """One page of posts from the last 7 days matching ``query``.

        Args:
            query: X search syntax (at most 512 characters for self-serve access).
            since_id: only posts newer than this id.
            until_id: only posts older than this id.
            start_time: only posts at or after this time (aware).
            end_time: only posts before this time (aware).
            max_results: page size, 10 to 100.
            next_token: the ``next_token`` of the previous page.
        """
        ...

    def search_all(
        self,
        query: QueryLike,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        """Like :meth:`search_recent` over the full archive (10 to 500 per page)."""
        ...

    def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        """One page of the posts mentioning ``user_id`` (the 800 most recent at most).

        ``max_results`` is 5 to 100. Implementations may accept more than an id:
        ``XPlatform`` also takes a handle (resolved once and cached) or ``None``
        (the acting user), and every post read there takes ``expansions=`` to
        choose (and pay for) what comes back in ``includes``. Walk pages with
        ``iter_items``, or ``iter_posts_with_authors`` to keep each post's author.
        """
        ...

    def get_posts(self, ids: Iterable[str]) -> Page[Post]:
        """Look up any number of posts by id.

        Ids are sent in batches of 100. Found posts come back in the order
        asked (duplicates once); every missing or deleted id is reported as a
        ``Problem`` in ``errors`` (``problem.resource_id`` names it) instead of
        failing the call.
        """
        ...

    def get_users(self, ids: Iterable[str]) -> Page[User]:
        """Look up any number of users by id; missing ones are reported in ``errors``."""
        ...

    def create_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        reply_settings: ReplySettings | None = None,
        exclude_reply_user_ids: Iterable[str] = (),
        direct_message_deep_link: str | None = None,
        full: bool = False,
        reconcile: bool = True,
    ) -> Post:
        """Publish a post, optionally as a reply or a quote, optionally with a DM deep link.

        The returned post carries at least what the platform answered (id, text as
        the platform stores it) plus what the call established: the author, the
        ``replied_to``/``quoted`` references and, when known, ``conversation_id``
        and ``in_reply_to_user_id``. ``full=True`` reads the post back as stored.

        A reply's stored text begins with the @mentions the platform adds (on X:
        the parent's author and the users the parent mentioned, minus
        ``exclude_reply_user_ids``; the parent's author cannot be excluded).

        Never published twice: a failure that may have taken effect (a 5xx, a
        timeout, a connection reset, a lost answer) is *ambiguous*. With
        ``reconcile=True`` the implementation then looks for the post
        (:meth:`find_post`) and sends again only if it is not there; a retry refused
        as duplicate content after an ambiguous failure is reconciled the same way.
        With ``reconcile=False`` an ambiguous failure raises
        ``PlatformUnavailableError`` with ``ambiguous=True`` at once, with no lookup
        and no retry (for callers, such as an outbox, that reconcile themselves).

        Args:
            text: the text as typed (at most 280 weighted characters on X).
            in_reply_to: the id of the post to reply to.
            quote_of: the id of the post to quote.
            reply_settings: who may reply: ``"following"``, ``"mentionedUsers"``,
                ``"subscribers"`` or ``"verified"`` (``None``: everyone).
            exclude_reply_user_ids: users not to mention in a reply's leading @mentions.
            direct_message_deep_link: a DM deep link to attach.
            full: read the created post back (one more request) and return it as stored.
            reconcile: look for the post after an ambiguous failure (see above).

        Raises:
            InvalidRequestError: the text is longer than the platform accepts
                (``XPlatform`` checks before sending and sets ``weighted_length``
                and ``limit``), or an option X rejects.
            ReplyNotPermittedError: the replied-to author did not summon the account,
                or limited who may reply.
            DuplicateContentError: the account posted the same text recently.
            PlatformUnavailableError: the platform failed; ``ambiguous`` says whether
                the post may exist all the same.
        """
        ...

    def find_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        since: dt.datetime,
    ) -> Post | None:
        """The account's own post carrying ``text`` created at or after ``since``, if any.

        The reconciliation read: it matches what the platform stores, never raw
        text. On X: the leading @mentions of a reply (``display_text_range``, or the
        reply target) are set aside, HTML entities unescaped, t.co links mapped back
        to their expanded URLs, the text NFC-normalised and whitespace squeezed. The
        reply target and the quoted post must be the ones given (``None``: none).
        ``since`` is widened by a small clock skew (two minutes on X).

        Raises:
            ValueError: ``since`` is naive.
        """
        ...

    def delete_post(self, post_id: str) -> None:
        """Delete one of the account's posts."""
        ...

    def hide_reply(self, post_id: str, *, hidden: bool = True) -> None:
        """Hide (or, with ``hidden=False``, unhide) a reply to one of the account's posts.

        Idempotent: hiding a hidden reply again succeeds.
        """
        ...

    def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True) -> DirectMessage:
        """Send a one-to-one direct message (at most 10,000 characters).

        Never sent twice: as for :meth:`create_post`, an ambiguous failure is
        reconciled with :meth:`find_dm` before any retry (``reconcile=True``), or
        raised at once as ``PlatformUnavailableError(ambiguous=True)``
        (``reconcile=False``).

        Raises:
            DirectMessageNotPermittedError: the recipient does not accept the DM.
            PlatformUnavailableError: the platform failed; ``ambiguous`` says whether
                the message may have been sent all the same.
        """
        ...

    def find_dm(
        self, participant_id: str, text: str, *, since: dt.datetime
    ) -> DirectMessage | None:
        """The account's own DM to ``participant_id`` carrying ``text``, sent at or after ``since``.

        Matched as :meth:`find_post` matches (normalised text, never raw equality),
        in the one-to-one conversation's recent events; ``since`` is widened by the
        same small skew.

        Raises:
            ValueError: ``since`` is naive.
        """
        ...

    def dm_events(
        self,
        *,
        participant_id: str | None = None,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[DirectMessage]:
        """One page of DM events (last 30 days), newest first.

        Args:
            participant_id: only the one-to-one conversation with this user.
            since_id: only events newer than this id (the page stops there).
            max_results: page size, 1 to 100.
            next_token: the ``next_token`` of the previous page.
        """
        ...

    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The last rate-limit state seen for each endpoint called so far."""
        ...
