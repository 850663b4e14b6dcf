"""The self-hosted branded shortener: codes and targets in the store, clicks counted there."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from socialcare.errors import LinkError, ShortCodeTakenError
from socialcare.links._codes import check_code, check_target, random_code, tag_url
from socialcare.models import ShortLink
from socialcare.storage import LinkStore

__all__ = ["LinkStats", "LinkTracker", "Shortener"]


@runtime_checkable
class Shortener(Protocol):
    """Anything that turns a long URL into a short one.

    ``shorten`` returns the short URL or raises a :class:`~socialcare.LinkError`
    (:class:`~socialcare.ShortenerError` when a hosted service fails); the service
    adapters with ``on_error="fallback"`` return the long URL instead. Implementations
    must be safe to call from several threads.
    """

    def shorten(
        self,
        url: str,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> str:
        """The short URL for ``url`` (with the custom ``code`` if given)."""
        ...


@attrs.frozen
class LinkStats:
    """Clicks on a set of links (a conversation's or a campaign's).

    Attributes:
        links: the links, oldest first.
        clicks: people's clicks on them.
        bot_clicks: bot and link-preview requests (X's card fetcher), counted apart.
    """

    links: tuple[ShortLink, ...]
    clicks: int
    bot_clicks: int


class LinkTracker:
    """A branded shortener on the brand's own domain: ``https://acme.co/<code>``.

    Codes and targets live in a :class:`~socialcare.storage.LinkStore` (memory, SQLite or
    PostgreSQL); the store's atomic insert-if-absent makes code creation collision-safe
    under concurrent writers, and its atomic increments count clicks exactly. Serve the
    redirects with :func:`~socialcare.links.redirect_app`.

    Args:
        store: where links and clicks are kept.
        base_url: the short domain, for example ``"https://acme.co"``.
        code_length: the length of random codes.
        utm: UTM parameters added to every target (``source``, ``medium``, ...); the
            link's campaign, when given, becomes ``utm_campaign``.
    """

    def __init__(
        self,
        store: LinkStore,
        base_url: str,
        *,
        code_length: int = 7,
        utm: dict[str, str] | None = None,
    ) -> None:
        check_target(base_url)
        if not 4 <= code_length <= 64:  # noqa: PLR2004
            msg = f"code_length must be from 4 to 64, got {code_length}"
            raise ValueError(msg)
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.code_length = code_length
        self.utm = dict(utm or {})

    def __repr__(self) -> str:
        return f"LinkTracker({self.base_url!r})"

    def short_url(self, code: str) -> str:
        """The public short URL of ``code``."""
        return f"{self.base_url}/{check_code(code)}"

    def create(
        self,
        url: str,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> ShortLink:
        """Store a short link to ``url`` (UTM-tagged); return it.

        A custom ``code`` already leading to the same target is returned as it is;
        leading elsewhere it raises :class:`~socialcare.ShortCodeTakenError`. Random
        codes that collide are drawn again.
        """
        target = self._target(url, campaign)
        if code is not None:
            link = self.store.put_short_link(
                check_code(code), target, conversation_id=conversation_id, campaign=campaign
            )
            if link.url != target:
                msg = f"short code {code!r} already leads to another target"
                raise ShortCodeTakenError(msg, code=code)
            return link
        for _ in range(16):
            candidate = random_code(self.code_length)
            link = self.store.put_short_link(
                candidate, target, conversation_id=conversation_id, campaign=campaign
            )
            if link.url == target and link.conversation_id == conversation_id:
                return link
        msg = "could not find a free random code in 16 tries: use longer codes"
        raise LinkError(msg)

    def shorten(
        self,
        url: str,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> str:
        """See :class:`Shortener`: the short URL of a new (or same custom-code) link."""
        link = self.create(url, code=code, conversation_id=conversation_id, campaign=campaign)
        return self.short_url(link.code)

    def _target(self, url: str, campaign: str | None) -> str:
        check_target(url)
        utm = dict(self.utm)
        if campaign is not None:
            utm.setdefault("campaign", campaign)
        if not utm:
            return url
        known = {k: utm.pop(k, None) for k in ("source", "medium", "campaign", "content", "term")}
        return tag_url(url, **known, extra={f"utm_{k}": v for k, v in utm.items()})

    def link(self, code: str) -> ShortLink | None:
        """The stored link of ``code`` with its click counts, or ``None``."""
        return self.store.get_short_link(check_code(code))

    def for_conversation(self, conversation_id: str) -> LinkStats:
        """Clicks on the links sent in one conversation."""
        return _stats(self.store.find_short_links(conversation_id=conversation_id, limit=10**6))

    def for_campaign(self, campaign: str) -> LinkStats:
        """Clicks on the links of one campaign."""
        return _stats(self.store.find_short_links(campaign=campaign, limit=10**6))


def _stats(links: list[ShortLink]) -> LinkStats:
    return LinkStats(
        links=tuple(links),
        clicks=sum(link.clicks for link in links),
        bot_clicks=sum(link.bot_clicks for link in links),
    )
