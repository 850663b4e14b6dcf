"""What the outbox needs from a platform: writes that do not reconcile, and look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from socialcare.models import DirectMessage, Post
from socialcare.platforms import ReplySettings

__all__ = ["OutboxPlatform", "SupportsHideReply"]


@runtime_checkable
class OutboxPlatform(Protocol):
    """The writes and look-ups a :class:`~socialcare.outbox.Sender` calls.

    ``XPlatform`` (and ``Sandbox.platform()``) implement it. Contract:

    * With ``reconcile=False`` a write is sent at most once per call: a failure
      after which the write may have been processed raises
      :class:`~socialcare.errors.PlatformUnavailableError` with ``ambiguous=True``
      (a lost answer, a 5xx or a timeout after sending), without looking and
      without retrying; a failure before sending has ``ambiguous=False``.
    * ``find_post`` and ``find_dm`` read what the platform holds (the account's
      recent posts, the DM conversation's events) and match on what it stores
      (normalised text, reply or quote target, created at or after ``since``).
    """

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
        """Publish a post (see ``Platform.create_post``)."""
        ...

    def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True) -> DirectMessage:
        """Send a one-to-one direct message (see ``Platform.send_dm``)."""
        ...

    def find_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        since: dt.datetime,
    ) -> Post | None:
        """The account's post with this text and target created since ``since``, if any."""
        ...

    def find_dm(
        self, participant_id: str, text: str, *, since: dt.datetime
    ) -> DirectMessage | None:
        """The account's DM to ``participant_id`` with this text sent since ``since``, if any."""
        ...

    def delete_post(self, post_id: str) -> object:
        """Delete one of the account's posts (a deleted post raises ``NotFoundError``)."""
        ...


@runtime_checkable
class SupportsHideReply(Protocol):
    """A platform that can hide replies to the account's conversations."""

    def hide_reply(self, post_id: str, *, hidden: bool = True) -> object:
        """Hide (or show again) a reply to one of the account's posts."""
        ...
