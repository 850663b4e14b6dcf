"""Moving a public conversation to direct messages, every send through the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, cast

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.compose import dm_deep_link
from socialcare.escalation._policy import EscalationDecision, SuggestedAction
from socialcare.models import Conversation, Escalation, Post, Reservation, User

if TYPE_CHECKING:  # the flow is handed an outbox: importing escalation loads no storage
    from socialcare.outbox import Outbox
    from socialcare.storage import ConversationStore, EscalationStore

    class _CareStore(ConversationStore, EscalationStore, Protocol):
        """Conversations and escalations (the flow's records)."""


__all__ = ["EscalationFlow", "EscalationOutcome", "EscalationRoute"]

EscalationRoute = Literal["public_then_dm", "dm", "invite", "alternative", "human"]
"""What the flow did: acknowledged in public and sent the DM; sent the DM only; replied in
public inviting the customer to DM (their DMs are closed to the brand); replied in public
with the alternative contact; handed the conversation to a person (nothing sent)."""

_DM_ERROR = "DirectMessageNotPermittedError"


@attrs.frozen
class EscalationOutcome:
    """What :meth:`EscalationFlow.escalate` decided and queued.

    Attributes:
        escalation: the stored escalation record (state ``"requested"``, or
            ``"sent"`` once :meth:`EscalationFlow.follow_up` saw the DM go out).
        route: what was done (see :data:`EscalationRoute`).
        reservations: the outbox actions queued (public reply first), none for ``"human"``.
        reasons: why this route was taken, in words.
    """

    escalation: Escalation
    route: EscalationRoute
    reservations: tuple[Reservation, ...]
    reasons: tuple[str, ...]


class EscalationFlow:
    """Escalate a public conversation to DM: acknowledge in public, message in private.

    The flow (every send is an :class:`~socialcare.outbox.Outbox` action, so it happens
    exactly once):

    * the customer accepts DMs (``receives_your_dm`` not ``False``): with
      ``"public_then_dm"`` and a public reply permitted, a short public
      acknowledgement carrying the DM deep link, then the DM with the case
      context; with ``"dm"`` (or when a public reply is not permitted and
      ``when_reply_not_permitted="dm"``), the DM only;
    * the customer's DMs are closed: a public reply inviting them to DM the
      brand (with the deep link), or the ``alternative_contact`` when set;
    * a public reply is not permitted and no DM can go out, or the policy says
      ``"human"``: nothing is sent; the conversation is handed to a person.

    The conversation's state becomes ``"escalated"`` and an
    :class:`~socialcare.models.Escalation` is stored (id ``esc:<post id>``). A DM the
    platform refuses although the profile said it was open is caught by
    :meth:`follow_up`, which queues the public invitation instead.

    Args:
        outbox: where sends are reserved (its store keeps conversations and escalations too).
        brand_id: the brand account's user id (for the DM deep link).
        acknowledgement: the public acknowledgement's text.
        invitation: the public reply when the customer's DMs are closed.
        alternative_contact: if set, the public reply when DMs are closed says this
            instead (for example "call us on 0800 123 456").
        when_reply_not_permitted: ``"dm"`` (send the DM alone) or ``"human"``.
        clock: time for the records (default: the system clock).
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        brand_id: str,
        acknowledgement: str = "We're sorry to hear this. We've sent you a DM so we can help "
        "privately.",
        invitation: str = "We'd like to help with this privately: please send us a DM.",
        alternative_contact: str | None = None,
        when_reply_not_permitted: Literal["dm", "human"] = "dm",
        clock: Clock | None = None,
    ) -> None:
        from socialcare.storage import ConversationStore, EscalationStore  # noqa: PLC0415

        store = outbox.store
        if not isinstance(store, ConversationStore) or not isinstance(store, EscalationStore):
            raise TypeError("the outbox's store must keep conversations and escalations too")
        self.outbox = outbox
        self._records = cast("_CareStore", store)
        self.brand_id = brand_id
        self.deep_link = dm_deep_link(brand_id)
        self.acknowledgement = acknowledgement
        self.invitation = invitation
        self.alternative_contact = alternative_contact
        self.when_reply_not_permitted = when_reply_not_permitted
        self._clock: Clock = clock or SystemClock()

    def escalate(
        self,
        post: Post,
        customer: User,
        *,
        dm_text: str,
        decision: EscalationDecision | None = None,
        action: SuggestedAction = "public_then_dm",
        reason: str = "escalated",
        reply_permitted: bool = True,
    ) -> EscalationOutcome:
        """Escalate the conversation of the customer's ``post`` (see the class).

        Idempotent: escalating the same post again queues nothing new (the outbox
        keys are ``esc:<post id>:public`` and ``esc:<post id>:dm``).

        Args:
            post: the customer's post that triggered the escalation.
            customer: its author, read with the brand's user context:
                ``receives_your_dm`` is relative to the viewer (an app-only read
                leaves it ``None``, taken as open; X's refusal then falls back
                through :meth:`follow_up`).
            dm_text: the direct message, with the case context.
            decision: :meth:`EscalationPolicy.decide`'s decision: its action and reasons
                replace ``action`` and ``reason``.
            action: the suggested action, without a ``decision``.
            reason: why, without a ``decision`` (recorded on the escalation and
                in the audit log).
            reply_permitted: whether a public reply to ``post`` is permitted (X's
                summoned-reply rule, ``socialcare.compose.can_reply``).
        """
        if post.author_id is not None and post.author_id != customer.id:
            raise ValueError(f"post {post.id} is by {post.author_id}, not by {customer.id}")
        reasons: list[str] = [reason]
        if decision is not None:
            if decision.action is None:
                raise ValueError("the decision does not escalate (no rule fired)")
            action = decision.action
            reasons = [f"{r.rule}: {r.detail}" for r in decision.reasons] or [reason]
        dms_open = customer.receives_your_dm is not False
        route: EscalationRoute
        if action == "human":
            route = "human"
            reasons.append("the policy hands this to a person")
        elif not dms_open:
            reasons.append(f"@{customer.username} does not accept DMs from the brand")
            if reply_permitted:
                route = "alternative" if self.alternative_contact else "invite"
            else:
                route = "human"
                reasons.append("a public reply is not permitted either")
        elif not reply_permitted:
            reasons.append("a public reply is not permitted")
            route = "dm" if self.when_reply_not_permitted == "dm" else "human"
        else:
            route = "public_then_dm" if action == "public_then_dm" else "dm"
        reservations = self._queue(post, customer, route, dm_text)
        escalation = self._record(post, customer, route, "; ".join(reasons))
        self.outbox.store.append_audit(
            "escalation.requested",
            actor=self.outbox.actor,
            subject=post.conversation_id or post.id,
            detail={"post_id": post.id, "route": route, "reasons": reasons},
        )
        return EscalationOutcome(
            escalation=escalation,
            route=route,
            reservations=reservations,
            reasons=tuple(reasons),
        )

    def _queue(
        self, post: Post, customer: User, route: EscalationRoute, dm_text: str
    ) -> tuple[Reservation, ...]:
        queued: list[Reservation] = []
        if route in ("public_then_dm", "invite", "alternative"):
            text = {
                "public_then_dm": self.acknowledgement,
                "invite": self.invitation,
                "alternative": self.alternative_contact or self.invitation,
            }[route]
            link = None if route == "alternative" else self.deep_link
            queued.append(
                self.outbox.reply(
                    post,
                    text,
                    key=f"esc:{post.id}:public",
                    direct_message_deep_link=link,
                    subject=post.conversation_id or post.id,
                )
            )
        if route in ("public_then_dm", "dm"):
            queued.append(
                self.outbox.dm(
                    customer.id,
                    dm_text,
                    key=f"esc:{post.id}:dm",
                    subject=post.conversation_id or post.id,
                )
            )
        return tuple(queued)

    def _record(
        self, post: Post, customer: User, route: EscalationRoute, reason: str
    ) -> Escalation:
        now = self._clock.now()
        escalation_id = f"esc:{post.id}"
        existing = self._records.get_escalation(escalation_id)
        if existing is not None:
            return existing
        conversation_id = post.conversation_id or post.id
        escalation = Escalation(
            id=escalation_id,
            conversation_id=conversation_id,
            user_id=customer.id,
            reason=f"{reason} (route: {route})",
            created_at=now,
            updated_at=now,
            post_id=post.id,
            outbox_key=f"esc:{post.id}:dm" if route in ("public_then_dm", "dm") else None,
        )
        self._records.put_escalation(escalation)
        conversation = self._records.get_conversation(conversation_id) or Conversation(
            id=conversation_id,
            customer_id=customer.id,
            state="escalated",
            first_inbound_at=post.created_at,
            last_activity_at=post.created_at,
        )
        tags = conversation.tags | ({"needs_human"} if route == "human" else set())
        self._records.put_conversation(
            attrs.evolve(conversation, state="escalated", waiting_since=None, tags=tags)
        )
        return escalation

    def follow_up(self, escalation_id: str) -> Escalation:
        """Bring an escalation up to date with its DM's outbox action; the stored record.

        DM sent: the escalation becomes ``"sent"``. DM refused because the customer
        does not accept DMs: the public invitation (or alternative contact) is queued
        when no public reply was, and the escalation becomes ``"failed"`` (audited).
        Otherwise it is left as it is.

        Raises:
            KeyError: no escalation with this id.
        """
        escalation = self._records.get_escalation(escalation_id)
        if escalation is None:
            raise KeyError(escalation_id)
        if escalation.outbox_key is None or escalation.state != "requested":
            return escalation
        record = self.outbox.get(escalation.outbox_key)
        if record is None or record.status == "reserved":
            return escalation
        now = self._clock.now()
        if record.status == "sent":
            updated = attrs.evolve(escalation, state="sent", updated_at=now)
        else:
            updated = attrs.evolve(escalation, state="failed", updated_at=now)
            if escalation.post_id is not None and _DM_ERROR in (record.error or ""):
                self.outbox.reply(
                    escalation.post_id,
                    self.alternative_contact or self.invitation,
                    key=f"esc:{escalation.post_id}:invite",
                    direct_message_deep_link=None if self.alternative_contact else self.deep_link,
                    subject=escalation.conversation_id,
                )
        self._records.put_escalation(updated)
        self.outbox.store.append_audit(
            f"escalation.{updated.state}",
            actor=self.outbox.actor,
            subject=escalation.conversation_id,
            detail={"escalation": escalation.id, "dm": record.status, "error": record.error},
        )
        return updated
