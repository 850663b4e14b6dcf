"""``Outbox``: every outbound action reserved in the store, under an idempotency key, first."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

from socialcare.compose import Draft
from socialcare.errors import ComposeError
from socialcare.models import OutboxRecord, Post, Reservation, User
from socialcare.platforms import ReplySettings
from socialcare.storage import AuditLog, OutboxStore, PauseSwitch

__all__ = ["OUTBOX_KIND", "ActionType", "Outbox", "OutboxStoreLike"]

OUTBOX_KIND = "socialcare.outbox"
"""The outbox ``kind`` of every action the :class:`Outbox` reserves (the action type,
``"reply"``, ``"post"``, ``"dm"``, ``"delete"`` or ``"hide"``, is the payload's
``"action"``). Other users of the store's outbox (the monitor's ``"alert"``) keep
their own kinds, so senders never take each other's work."""

ActionType = Literal["reply", "post", "dm", "delete", "hide"]
"""What an outbox action does: a reply, a post, a direct message, a deletion, a hidden reply."""


class OutboxStoreLike(OutboxStore, PauseSwitch, AuditLog, Protocol):
    """The store an :class:`Outbox` and a :class:`Sender` need: outbox, pause switch, audit log.

    Every shipped store (memory, SQLite, PostgreSQL) is one.
    """


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def _draft_text(draft: Draft, kind: str) -> tuple[str, ...]:
    if draft.kind != kind:
        raise ValueError(f"a {draft.kind} draft cannot be queued as a {kind}")
    if not draft.sendable:
        raise ComposeError("the draft is not sendable: " + "; ".join(draft.reasons))
    return tuple(part.text for part in draft.parts)


class Outbox:
    """Reserve outbound actions in a store before anything is sent.

    Each method records one action (or, for a thread, one per part) under an
    idempotency key and returns the :class:`~socialcare.models.Reservation`: a
    second call with the same key, from any process, gets the first action back
    (``created=False``) and sends nothing more. A :class:`Sender` claims and
    sends reserved actions.

    Keys default to a deterministic function of what the action answers and its
    ``purpose``: ``reply:<post id>:<purpose>``, ``dm:<user id>:<purpose>``,
    ``post:<digest of the text>:<purpose>``, ``delete:<post id>``,
    ``hide:<post id>:<hidden>:<purpose>``. So "answer post 123" is queued once,
    however many workers see post 123; give another ``purpose`` (or a ``key``)
    for a second answer to the same post.

    Args:
        store: where actions are reserved (every shipped store).
        actor: who reserves, as written to the audit log.

    Example:
        >>> from socialcare.outbox import Outbox
        >>> from socialcare.storage import MemoryStore
        >>> outbox = Outbox(MemoryStore())
        >>> outbox.reply("1875000000000000001", "Sorry about that!").record.key
        'reply:1875000000000000001:reply'
        >>> outbox.reply("1875000000000000001", "Sorry again!").created
        False
    """

    def __init__(self, store: OutboxStoreLike, *, actor: str = "outbox") -> None:
        self.store = store
        self.actor = actor

    def __repr__(self) -> str:
        return f"Outbox(store={self.store!r})"

    # -- reserving ---------------------------------------------------------------------------------

    def _reserve(self, key: str, payload: Mapping[str, object]) -> Reservation:
        reservation = self.store.reserve_action(key, kind=OUTBOX_KIND, payload=payload)
        if reservation.created:
            self.store.append_audit(
                "outbox.reserved",
                actor=self.actor,
                subject=_subject(reservation.record),
                detail={"key": key, "action": payload["action"]},
            )
        return reservation

    def reply(
        self,
        to: str | Post,
        text: str | Draft,
        *,
        key: str | None = None,
        purpose: str = "reply",
        exclude_reply_user_ids: Iterable[str] = (),
        direct_message_deep_link: str | None = None,
        subject: str | None = None,
    ) -> Reservation:
        """Reserve a public reply to the post ``to``.

        ``text`` may be a :class:`~socialcare.compose.Draft` (kind ``"reply"``,
        sendable): a draft that is a thread reserves one action per part, keyed
        ``<key>``, ``<key>#1``, ``<key>#2``..., each part answering the previous one
        once it is sent. The reservation of the first part is returned. A draft's
        ``follow_up_dm`` (links moved out of the reply) is not queued here: queue it
        with :meth:`dm`.

        Args:
            to: the post answered (its id, or the post).
            text: the reply's text (without X's auto-populated leading mentions), or a draft.
            key: the idempotency key (default ``reply:<to>:<purpose>``).
            purpose: distinguishes several replies to one post in the default key.
            exclude_reply_user_ids: users whose handles X should leave out of the
                auto-populated mentions.
            direct_message_deep_link: a DM deep link to attach (the "send us a DM" button).
            subject: what the audit log entries concern (default: the post answered).

        Raises:
            ComposeError: the draft is not sendable (its reasons are in the message).
            ValueError: the draft is a DM draft or answers another post, or a key or
                text is empty.
        """
        post_id = to.id if isinstance(to, Post) else to
        if isinstance(text, Draft) and text.in_reply_to not in (None, post_id):
            raise ValueError(f"the draft answers post {text.in_reply_to}, not {post_id}")
        texts = _draft_text(text, "reply") if isinstance(text, Draft) else (text,)
        key = key if key is not None else f"reply:{post_id}:{purpose}"
        _check(key=key, text=texts[0], target=post_id)
        first: Reservation | None = None
        previous: str | None = None
        for index, part in enumerate(texts):
            part_key = key if index == 0 else f"{key}#{index}"
            payload: dict[str, object] = {
                "action": "reply",
                "text": part,
                "subject": subject or post_id,
            }
            if previous is None:
                payload["in_reply_to"] = post_id
                if exclude_reply_user_ids:
                    payload["exclude_reply_user_ids"] = list(exclude_reply_user_ids)
                if direct_message_deep_link is not None:
                    payload["direct_message_deep_link"] = direct_message_deep_link
            else:
                payload["after"] = previous
            reservation = self._reserve(part_key, payload)
            first = first or reservation
            previous = part_key
        assert first is not None  # noqa: S101 - a draft has at least one part
        return first

    def post(
        self,
        text: str,
        *,
        key: str | None = None,
        purpose: str = "post",
        quote_of: str | None = None,
        reply_settings: ReplySettings | None = None,
        direct_message_deep_link: str | None = None,
        subject: str | None = None,
    ) -> Reservation:
        """Reserve a new post (not a reply); default key ``post:<text digest>:<purpose>``.

        Args:
            text: the post's text.
            key: the idempotency key.
            purpose: part of the default key.
            quote_of: the id of a post to quote.
            reply_settings: who may reply (``"following"``, ``"mentionedUsers"``, ...).
            direct_message_deep_link: a DM deep link to attach.
            subject: what the audit log entries concern.
        """
        key = key if key is not None else f"post:{_digest(text, quote_of or '')}:{purpose}"
        _check(key=key, text=text)
        options = {
            "quote_of": quote_of,
            "reply_settings": reply_settings,
            "direct_message_deep_link": direct_message_deep_link,
            "subject": subject,
        }
        payload: dict[str, object] = {"action": "post", "text": text}
        payload.update({name: value for name, value in options.items() if value is not None})
        return self._reserve(key, payload)

    def dm(
        self,
        to: str | User,
        text: str | Draft,
        *,
        key: str | None = None,
        purpose: str = "dm",
        subject: str | None = None,
    ) -> Reservation:
        """Reserve a one-to-one direct message to ``to``.

        The default key ``dm:<participant_id>:<purpose>`` sends one DM per purpose
        and customer: pass the purpose (an inbound event or case id) for each new
        message to the same person.

        Args:
            to: the recipient (their user id, or the user).
            text: the message, or a ``"dm"`` :class:`~socialcare.compose.Draft`.
            key: the idempotency key.
            purpose: part of the default key.
            subject: what the audit log entries concern (default: the recipient).
        """
        participant_id = to.id if isinstance(to, User) else to
        body = _draft_text(text, "dm")[0] if isinstance(text, Draft) else text
        key = key if key is not None else f"dm:{participant_id}:{purpose}"
        _check(key=key, text=body, target=participant_id)
        payload = {
            "action": "dm",
            "participant_id": participant_id,
            "text": body,
            "subject": subject or participant_id,
        }
        return self._reserve(key, payload)

    def delete(self, post_id: str, *, key: str | None = None) -> Reservation:
        """Reserve the deletion of one of the account's posts (default key ``delete:<id>``).

        A post already gone counts as deleted.
        """
        key = key if key is not None else f"delete:{post_id}"
        _check(key=key, target=post_id)
        return self._reserve(key, {"action": "delete", "post_id": post_id, "subject": post_id})

    def hide(
        self,
        post_id: str,
        *,
        hidden: bool = True,
        key: str | None = None,
        purpose: str = "hide",
    ) -> Reservation:
        """Reserve hiding (``hidden=False``: showing again) a reply in the account's conversation.

        The platform must support it (:class:`SupportsHideReply`); otherwise the
        action fails with that reason.
        """
        key = key if key is not None else f"hide:{post_id}:{str(hidden).lower()}:{purpose}"
        _check(key=key, target=post_id)
        payload = {"action": "hide", "post_id": post_id, "hidden": hidden, "subject": post_id}
        return self._reserve(key, payload)

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: str) -> OutboxRecord | None:
        """The action reserved under ``key``, or ``None``."""
        return self.store.get_action(key)

    def pending(self, *, limit: int = 100) -> list[OutboxRecord]:
        """Reserved actions not sent yet, oldest first."""
        return self.store.list_actions(status="reserved", kind=OUTBOX_KIND, limit=limit)

    def failed(self, *, limit: int = 100) -> list[OutboxRecord]:
        """Actions given up on (``error`` says why), oldest first."""
        return self.store.list_actions(status="failed", kind=OUTBOX_KIND, limit=limit)

    def sent(self, *, limit: int = 100) -> list[OutboxRecord]:
        """Sent actions (``remote_id`` is the platform's id), oldest first."""
        return self.store.list_actions(status="sent", kind=OUTBOX_KIND, limit=limit)

    # -- the pause switch ----------------------------------------------------------------------

    def pause_all(self, *, reason: str = "paused", actor: str | None = None) -> bool:
        """Stop every sender sharing the store, in every process (see ``PauseSwitch``).

        Returns whether this call paused (``False``: already paused). Audited.
        """
        changed = self.store.pause_all()
        if changed:
            self.store.append_audit(
                "outbox.paused", actor=actor or self.actor, detail={"reason": reason}
            )
        return changed

    def resume_all(self, *, actor: str | None = None) -> bool:
        """Let senders send again; returns whether this call resumed. Audited."""
        changed = self.store.resume_all()
        if changed:
            self.store.append_audit("outbox.resumed", actor=actor or self.actor)
        return changed

    def paused(self) -> bool:
        """Whether every sender is paused."""
        return self.store.paused()


def _subject(record: OutboxRecord) -> str:
    subject = record.payload.get("subject")
    return subject if isinstance(subject, str) and subject else record.key


def _check(*, key: str, text: str | None = None, target: str | None = None) -> None:
    if not key:
        raise ValueError("key must not be empty")
    if text is not None and not text:
        raise ValueError("text must not be empty")
    if target is not None and not target:
        raise ValueError("the target id must not be empty")
