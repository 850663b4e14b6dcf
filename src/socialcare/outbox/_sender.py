"""``Sender``: claims reserved actions, records each attempt, sends, reconciles, marks."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Mapping
from typing import Literal, cast, get_args

import attrs

from socialcare._clock import Clock, platform_clock
from socialcare.errors import (
    DuplicateContentError,
    NotFoundError,
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    RateLimitError,
    StorageError,
)
from socialcare.models import OutboxRecord
from socialcare.outbox._outbox import OUTBOX_KIND, OutboxStoreLike, _subject
from socialcare.outbox._platform import OutboxPlatform, SupportsHideReply
from socialcare.platforms import ReplySettings

__all__ = ["Outcome", "SendReport", "Sender"]

log = logging.getLogger("socialcare.outbox")

Outcome = Literal["sent", "reconciled", "retried", "failed", "skipped", "paused"]
"""What one claimed action came to: ``sent``; ``reconciled`` (found on the platform after
an attempt in doubt, and marked sent); ``retried`` (released for a later attempt);
``failed`` (given up, with the reason); ``skipped`` (the claim was lost); ``paused``."""


@attrs.frozen
class SendReport:
    """What one or more :meth:`Sender.run_once` calls did.

    Attributes:
        claimed: actions claimed.
        sent: actions sent and marked with the platform's id.
        reconciled: actions found already on the platform (an earlier attempt's
            answer was lost, or its worker died) and marked sent without sending.
        retried: actions released for a later attempt (transient failure, 429,
            an attempt in doubt, a thread part waiting for the part before).
        failed: actions given up on (not permitted, too long, gone, too many attempts).
        skipped: actions whose claim was lost before sending.
        paused: whether the store was paused (nothing was sent from then on).
    """

    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    paused: bool = False

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(
            claimed=self.claimed + other.claimed,
            sent=self.sent + other.sent,
            reconciled=self.reconciled + other.reconciled,
            retried=self.retried + other.retried,
            failed=self.failed + other.failed,
            skipped=self.skipped + other.skipped,
            paused=other.paused,
        )


def _default_owner() -> str:
    return f"sender-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class _Give(Exception):  # noqa: N818 - an internal signal, never escapes
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class Sender:
    """Sends what an :class:`Outbox` reserved: exactly once, across processes and crashes.

    For each action it claims (``claim_actions``, exclusive while the claim lives):

    1. If an earlier attempt is in doubt (its answer was lost, it failed with a 5xx
       or a timeout after sending, or its worker died mid-send), it looks on the
       platform first (``find_post`` / ``find_dm``, from the first attempt's start
       minus ``margin``); found: marked sent with that id, nothing is sent.
    2. It records the attempt in the store (``start_attempt``) *before* sending,
       which fails while the store is paused or when the claim was lost.
    3. It sends with ``reconcile=False`` and marks the outcome: sent with the
       remote id; a failure that may have been processed stays in doubt and is
       retried after ``reconcile_delay`` (step 1 first); a 429 waits for the
       reset (capped at ``max_delay``, jittered, without sleeping: the action is
       deferred in the store); other transient failures back off exponentially;
       X's refusals (not permitted, too long, duplicate that is not ours) fail
       for good with the reason.

    Every transition is written to the audit log (``outbox.attempt``, ``.sent``,
    ``.reconciled``, ``.retry``, ``.failed``). Run one per process, or several:
    they share the work through the store.

    The claim ``ttl`` must be longer than the platform's slowest call (its
    timeout times its own retries): a sender whose claim lapsed mid-send could
    otherwise race the next claimant.

    Args:
        store: the store the outbox reserves in.
        platform: where to send (:class:`OutboxPlatform`: ``XPlatform``, the sandbox's).
        owner: this sender's name in claims and the audit log (default: host, pid, random).
        ttl: seconds a claim lives.
        batch: actions claimed per :meth:`run_once`.
        max_attempts: claims after which an action fails for good.
        margin: seconds before the first attempt's start that reconciliation looks
            back, on top of what the platform allows for clock skew itself
            (``XPlatform``'s look-ups go two minutes further back).
        reconcile_delay: seconds to wait after an attempt in doubt before looking.
        backoff: the first back-off in seconds (doubled per attempt, jittered).
        max_delay: the longest deferral in seconds (a 429 reset further away is cut to it).
        clock: the platform's time, for 429 resets (default: ``platform.clock``
            when it has one, else the system clock).
        rng: the jitter's source (default: ``random.SystemRandom``).
    """

    def __init__(
        self,
        store: OutboxStoreLike,
        platform: OutboxPlatform,
        *,
        owner: str | None = None,
        ttl: float = 300.0,
        batch: int = 10,
        max_attempts: int = 25,
        margin: float = 0.0,
        reconcile_delay: float = 1.0,
        backoff: float = 1.0,
        max_delay: float = 900.0,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if ttl <= 0 or batch < 1 or max_attempts < 1:
            raise ValueError("ttl must be positive; batch and max_attempts at least 1")
        if margin < 0 or reconcile_delay < 0 or backoff < 0 or max_delay < 0:
            raise ValueError("margin, reconcile_delay, backoff and max_delay must not be negative")
        self.store = store
        self.platform = platform
        self.owner = owner or _default_owner()
        self.ttl = ttl
        self.batch = batch
        self.max_attempts = max_attempts
        self.margin = margin
        self.reconcile_delay = reconcile_delay
        self.backoff = backoff
        self.max_delay = max_delay
        self._clock: Clock = clock or platform_clock(platform)
        self._rng = rng or random.SystemRandom()

    def __repr__(self) -> str:
        return f"Sender(owner={self.owner!r})"

    # -- loops ---------------------------------------------------------------------------------

    def run_once(self) -> SendReport:
        """Claim up to ``batch`` actions and process each; what happened.

        Nothing is claimed while the store is paused.
        """
        if self.store.paused():
            return SendReport(paused=True)
        records = self.store.claim_actions(
            self.owner, ttl=self.ttl, limit=self.batch, kind=OUTBOX_KIND
        )
        counts: dict[str, int] = {}
        paused = False
        for record in records:
            if paused:
                self._release(record, "paused")
                continue
            outcome = self.process(record)
            paused = outcome == "paused"
            counts[outcome] = counts.get(outcome, 0) + 1
        return SendReport(
            claimed=len(records),
            sent=counts.get("sent", 0),
            reconciled=counts.get("reconciled", 0),
            retried=counts.get("retried", 0),
            failed=counts.get("failed", 0),
            skipped=counts.get("skipped", 0),
            paused=paused,
        )

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        poll: float = 1.0,
        until_empty: bool = False,
    ) -> SendReport:
        """Call :meth:`run_once` until ``stop`` is set (or, ``until_empty``, nothing is reserved).

        Waits ``poll`` seconds (on ``stop``) whenever a round claimed nothing. A store
        failure (``StorageError``: the database restarting, say) is logged and the
        round tried again after ``poll``: what was claimed stays claimed until its
        claim expires, and an attempt in doubt is looked up before it is sent again.
        """
        stop = stop or threading.Event()
        total = SendReport()
        while not stop.is_set():
            try:
                report = self.run_once()
                total += report
                if report.claimed:
                    continue
                if until_empty and not self.store.list_actions(
                    status="reserved", kind=OUTBOX_KIND, limit=1
                ):
                    break
            except StorageError:
                log.exception("outbox sender %s: the store failed; trying again", self.owner)
            stop.wait(poll)
        return total

    # -- one action ------------------------------------------------------------------------------

    def process(self, record: OutboxRecord) -> Outcome:
        """Send one action claimed by this sender (see the class); its outcome."""
        try:
            if record.in_doubt and self._reconcile(record):
                return "reconciled"
            if record.attempts > self.max_attempts:
                return self._fail(record, f"gave up after {record.attempts - 1} attempts")
            payload = dict(record.payload)
            self._resolve_thread(record, payload)
            started = self.store.start_attempt(record.key, owner=self.owner)
            if started is None:
                if self.store.paused():
                    self._release(record, "paused")
                    return "paused"
                return "skipped"
            self._audit("outbox.attempt", record, attempt=record.attempts)
            return self._send(started, payload)
        except _Give as given:
            return given.outcome

    def _send(self, record: OutboxRecord, payload: Mapping[str, object]) -> Outcome:
        action = payload.get("action")
        try:
            remote_id = self._perform(action, payload)
        except (PlatformError, PayloadError, ValueError, TypeError) as exc:
            return self._not_sent(record, action, payload, exc)
        return self._mark_sent(record, remote_id, "outbox.sent")

    def _not_sent(
        self,
        record: OutboxRecord,
        action: object,
        payload: Mapping[str, object],
        exc: Exception,
    ) -> Outcome:
        """The outcome of a send that raised ``exc``."""
        if isinstance(exc, RateLimitError):
            return self._retry(record, exc, self._rate_limit_delay(exc), not_sent=True)
        if isinstance(exc, PlatformUnavailableError):
            if exc.ambiguous:
                return self._retry(record, exc, self.reconcile_delay, not_sent=False)
            return self._retry(record, exc, self._backoff(record), not_sent=True)
        if isinstance(exc, DuplicateContentError):
            if self._reconcile(record):
                return "reconciled"
            return self._fail(record, f"duplicate content: {exc}")
        if isinstance(exc, NotFoundError) and action == "delete":
            return self._mark_sent(record, str(payload["post_id"]), "outbox.sent")
        if isinstance(exc, PlatformError):  # X refused: not permitted, gone, invalid
            return self._fail(record, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, PayloadError):  # X answered, not as expected: it may have acted
            return self._retry(record, exc, self.reconcile_delay, not_sent=False)
        return self._fail(record, f"invalid action: {exc}")  # refused before any request

    def _perform(self, action: object, payload: Mapping[str, object]) -> str:
        text = str(payload.get("text", ""))
        if action in ("reply", "post"):
            excluded = payload.get("exclude_reply_user_ids") or []
            post = self.platform.create_post(
                text,
                in_reply_to=_opt(payload, "in_reply_to"),
                quote_of=_opt(payload, "quote_of"),
                reply_settings=_reply_settings(payload),
                exclude_reply_user_ids=[str(i) for i in excluded]
                if isinstance(excluded, list)
                else (),
                direct_message_deep_link=_opt(payload, "direct_message_deep_link"),
                reconcile=False,
            )
            return post.id
        if action == "dm":
            message = self.platform.send_dm(str(payload["participant_id"]), text, reconcile=False)
            return message.id
        if action == "delete":
            post_id = str(payload["post_id"])
            self.platform.delete_post(post_id)
            return post_id
        if action == "hide":
            post_id = str(payload["post_id"])
            if not isinstance(self.platform, SupportsHideReply):
                raise TypeError("this platform cannot hide replies (no hide_reply)")
            self.platform.hide_reply(post_id, hidden=bool(payload.get("hidden", True)))
            return post_id
        raise ValueError(f"unknown outbox action {action!r}")

    # -- reconciliation ------------------------------------------------------------------------

    def _look(self, record: OutboxRecord) -> str | None:
        """The id of what an earlier attempt of ``record`` created on the platform, if any."""
        payload = record.payload
        action = payload.get("action")
        if action in ("delete", "hide"):
            return None  # idempotent on the platform: sending again is safe
        started = record.first_attempt_at or record.created_at
        since = started - dt.timedelta(seconds=self.margin)
        text = str(payload.get("text", ""))
        if action == "dm":
            found_dm = self.platform.find_dm(str(payload["participant_id"]), text, since=since)
            return None if found_dm is None else found_dm.id
        in_reply_to = _opt(payload, "in_reply_to")
        after = _opt(payload, "after")
        if after is not None:
            previous = self.store.get_action(after)
            in_reply_to = None if previous is None else previous.remote_id
        found = self.platform.find_post(
            text, in_reply_to=in_reply_to, quote_of=_opt(payload, "quote_of"), since=since
        )
        return None if found is None else found.id

    def _reconcile(self, record: OutboxRecord) -> bool:
        """Look for an earlier attempt's result; mark it sent when found."""
        try:
            found = self._look(record)
        except (PlatformError, PayloadError) as exc:
            delay = (
                self._rate_limit_delay(exc)
                if isinstance(exc, RateLimitError)
                else self._backoff(record)
            )
            raise _Give(self._retry(record, exc, delay, not_sent=False, looking=True)) from exc
        if found is None:
            return False
        self._mark_sent(record, found, "outbox.reconciled")
        return True

    def _resolve_thread(self, record: OutboxRecord, payload: dict[str, object]) -> None:
        after = _opt(payload, "after")
        if after is None:
            return
        previous = self.store.get_action(after)
        if previous is None or previous.status == "failed":
            raise _Give(self._fail(record, f"the thread's previous part {after} failed"))
        if previous.status != "sent" or previous.remote_id is None:
            delay = max(self.reconcile_delay, 0.5)
            self.store.mark_failed(
                record.key, reason=f"waiting for {after}", retry=True, delay=delay
            )
            raise _Give("retried")
        payload["in_reply_to"] = previous.remote_id

    # -- marking ---------------------------------------------------------------------------------

    def _settled_meanwhile(self, record: OutboxRecord, exc: StorageError) -> Outcome:
        """``"skipped"`` when another sender settled ``record`` (this one's claim lapsed)."""
        current = self.store.get_action(record.key)
        if current is None or current.status == "reserved":
            raise exc
        log.warning("outbox action %s was settled by another sender: %s", record.key, exc)
        return "skipped"

    def _mark_sent(self, record: OutboxRecord, remote_id: str, action: str) -> Outcome:
        try:
            self.store.mark_sent(record.key, remote_id=remote_id)
        except StorageError as exc:
            return self._settled_meanwhile(record, exc)
        self._audit(action, record, remote_id=remote_id)
        return "reconciled" if action == "outbox.reconciled" else "sent"

    def _retry(
        self,
        record: OutboxRecord,
        exc: PlatformError | PayloadError,
        delay: float,
        *,
        not_sent: bool,
        looking: bool = False,
    ) -> Outcome:
        reason = f"{'reconciling: ' if looking else ''}{type(exc).__name__}: {exc}"
        try:
            self.store.mark_failed(
                record.key, reason=reason[:1000], retry=True, delay=delay, not_sent=not_sent
            )
        except StorageError as error:
            return self._settled_meanwhile(record, error)
        self._audit(
            "outbox.retry",
            record,
            reason=reason[:1000],
            delay=round(delay, 3),
            in_doubt=not not_sent or record.in_doubt,
        )
        return "retried"

    def _fail(self, record: OutboxRecord, reason: str) -> Outcome:
        try:
            self.store.mark_failed(record.key, reason=reason[:1000], not_sent=True)
        except StorageError as exc:
            return self._settled_meanwhile(record, exc)
        self._audit("outbox.failed", record, reason=reason[:1000])
        log.warning("outbox action %s failed: %s", record.key, reason)
        return "failed"

    def _release(self, record: OutboxRecord, reason: str) -> None:
        try:
            self.store.mark_failed(record.key, reason=reason, retry=True)
        except StorageError:  # settled meanwhile
            return

    def _audit(self, action: str, record: OutboxRecord, **detail: object) -> None:
        self.store.append_audit(
            action,
            actor=self.owner,
            subject=_subject(record),
            detail={"key": record.key, "action": record.payload.get("action"), **detail},
        )

    # -- delays ------------------------------------------------------------------------------

    def _backoff(self, record: OutboxRecord) -> float:
        exponent = min(max(record.attempts - 1, 0), 20)
        return min(self.max_delay, self.backoff * 2.0**exponent) * self._rng.uniform(0.5, 1.0)

    def _rate_limit_delay(self, exc: RateLimitError) -> float:
        if exc.reset_at is None:
            return min(self.max_delay, max(self.backoff, 1.0) * 15)
        wait = (exc.reset_at - self._clock.now()).total_seconds()
        jitter = self._rng.uniform(0.0, max(self.backoff, 0.1))
        return min(self.max_delay, max(wait, 0.0) + jitter)


def _reply_settings(payload: Mapping[str, object]) -> ReplySettings | None:
    value = payload.get("reply_settings")
    if value is None:
        return None
    if value not in get_args(ReplySettings):
        raise ValueError(f"unknown reply_settings {value!r}")
    return cast("ReplySettings", value)


def _opt(payload: Mapping[str, object], name: str) -> str | None:
    value = payload.get(name)
    return None if value is None else str(value)
