"""A fake ``OutboxPlatform`` with scripted faults, for the outbox's unit tests.

It keeps what it published (posts, DMs, deletions, hidden replies) and answers
``find_post`` / ``find_dm`` from that, as X answers from what it stores. Faults are
queued per call: each write pops the next fault (``None``: succeed).
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Iterable

from socialcare import ManualClock
from socialcare.errors import (
    DirectMessageNotPermittedError,
    DuplicateContentError,
    NotFoundError,
    PlatformUnavailableError,
    RateLimitError,
    ReplyNotPermittedError,
)
from socialcare.models import DirectMessage, Post, ReferencedPost


class Killed(BaseException):
    """The worker died here (SIGKILL): nothing after this line of the sender runs."""


def unavailable(*, ambiguous: bool) -> PlatformUnavailableError:
    return PlatformUnavailableError("503 Service Unavailable", status=503, ambiguous=ambiguous)


class FakePlatform:
    """Publishes into lists; ``faults`` scripts what each write does.

    Fault names: ``"before"`` (5xx, not processed), ``"after"`` (processed, then 5xx:
    ambiguous), ``"lost"`` (not processed, answer lost: ambiguous), ``"429"``,
    ``"killed"`` (processed, then the worker dies), ``"not_permitted"``, ``"duplicate"``.
    """

    def __init__(self, clock: ManualClock, *, me: str = "1000") -> None:
        self.clock = clock
        self.me = me
        self.posts: list[Post] = []
        self.dms: list[DirectMessage] = []
        self.deleted: list[str] = []
        self.hidden: list[tuple[str, bool]] = []
        self.faults: list[str | None] = []
        self.writes = 0
        self.lookups = 0
        self.blind_lookups = 0  # so many next look-ups find nothing (a lagging timeline)
        self._ids = itertools.count(1_900_000_000_000_000_000)

    def _fault(self) -> str | None:
        self.writes += 1
        return self.faults.pop(0) if self.faults else None

    def _before(self, fault: str | None, *, dm: bool = False) -> None:
        if fault == "before":
            raise unavailable(ambiguous=False)
        if fault == "lost":
            raise unavailable(ambiguous=True)
        if fault == "429":
            raise RateLimitError("429", reset_at=self.clock.now() + dt.timedelta(seconds=30))
        if fault == "not_permitted":
            if dm:
                raise DirectMessageNotPermittedError("403 DM not permitted", status=403)
            raise ReplyNotPermittedError("403 reply not permitted", status=403)
        if fault == "duplicate":
            raise DuplicateContentError("403 duplicate content", status=403)

    @staticmethod
    def _after(fault: str | None) -> None:
        if fault == "after":
            raise unavailable(ambiguous=True)
        if fault == "killed":
            raise Killed

    def create_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        reply_settings: str | None = None,
        exclude_reply_user_ids: Iterable[str] = (),
        direct_message_deep_link: str | None = None,
        full: bool = False,
        reconcile: bool = True,
    ) -> Post:
        assert reconcile is False  # the sender never lets the platform retry a write
        fault = self._fault()
        self._before(fault)
        refs = []
        if in_reply_to:
            refs.append(ReferencedPost(type="replied_to", id=in_reply_to))
        if quote_of:
            refs.append(ReferencedPost(type="quoted", id=quote_of))
        post = Post(
            id=str(next(self._ids)),
            text=text.replace("&", "&amp;"),  # X stores it escaped
            author_id=self.me,
            created_at=self.clock.now(),
            referenced=tuple(refs),
        )
        self.posts.append(post)
        self._after(fault)
        return post

    def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True) -> DirectMessage:
        assert reconcile is False
        fault = self._fault()
        self._before(fault, dm=True)
        message = DirectMessage(
            id=str(next(self._ids)),
            text=text,
            dm_conversation_id=f"{participant_id}-{self.me}",
            sender_id=self.me,
            created_at=self.clock.now(),
            participant_ids=(participant_id,),
        )
        self.dms.append(message)
        self._after(fault)
        return message

    def find_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        since: dt.datetime,
    ) -> Post | None:
        self.lookups += 1
        if self.blind_lookups:
            self.blind_lookups -= 1
            return None
        wanted = unicodedata.normalize("NFC", text)
        for post in self.posts:
            stored = unicodedata.normalize("NFC", post.text.replace("&amp;", "&"))
            created = post.created_at
            if (
                stored == wanted
                and post.replied_to_id == in_reply_to
                and created is not None
                and created >= since
                and post.id not in self.deleted
            ):
                return post
        return None

    def find_dm(
        self, participant_id: str, text: str, *, since: dt.datetime
    ) -> DirectMessage | None:
        self.lookups += 1
        for message in self.dms:
            created = message.created_at
            if (
                message.text == text
                and participant_id in message.participant_ids
                and created is not None
                and created >= since
            ):
                return message
        return None

    def delete_post(self, post_id: str) -> None:
        fault = self._fault()
        self._before(fault)
        if post_id in self.deleted or all(p.id != post_id for p in self.posts):
            raise NotFoundError(f"404: no post {post_id}", status=404)
        self.deleted.append(post_id)
        self._after(fault)


class HidingPlatform(FakePlatform):
    """A fake that can also hide replies."""

    def hide_reply(self, post_id: str, *, hidden: bool = True) -> bool:
        self._fault()
        self.hidden.append((post_id, hidden))
        return hidden
