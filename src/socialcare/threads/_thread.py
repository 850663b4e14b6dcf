"""A conversation tree: an immutable snapshot of one thread, with views for people and notebooks."""

from __future__ import annotations

import datetime as dt
import html
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

import attrs

from socialcare.errors import ConfigurationError
from socialcare.models import ConversationState, DirectMessage, Post
from socialcare.threads._care import (
    BusinessHours,
    CareEvent,
    Participant,
    Role,
    Timings,
    Turn,
    next_state,
    timings,
)

__all__ = ["Placeholder", "PlaceholderReason", "Thread"]

PlaceholderReason = Literal["missing", "deleted", "protected", "unavailable"]
"""Why a referenced post is not held: not fetched (yet), or a tombstone: the platform
said it is ``deleted``, ``protected`` (not visible to us) or otherwise ``unavailable``."""


@attrs.frozen
class Placeholder:
    """A post the thread references (a reply's parent, the conversation root) but does not hold.

    Attributes:
        id: the referenced post id.
        reason: ``"missing"`` (not fetched yet) or, for a tombstone, why it cannot be.
    """

    id: str
    reason: PlaceholderReason = "missing"

    @property
    def is_tombstone(self) -> bool:
        """Whether the platform said this post cannot be fetched (deleted, protected...)."""
        return self.reason != "missing"


_NO_TIME = float("-inf")
_FAR_PAST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def sort_key(node: Post | Placeholder) -> tuple[float, int, str]:
    """Time order: creation time, then numeric id order (placeholders, timeless, first)."""
    when = node.created_at if isinstance(node, Post) else None
    return (_NO_TIME if when is None else when.timestamp(), len(node.id), node.id)


def _acyclic(
    nodes: Mapping[str, Post | Placeholder],
    parents: Mapping[str, str],
    order: Callable[[str], tuple[float, int, str, int, str]],
) -> dict[str, str]:
    """``parents`` checked, with every reply cycle (invalid data) cut at its earliest node."""
    links = dict(parents)
    for child, parent in links.items():
        if child not in nodes or parent not in nodes:
            msg = f"reply link {child[:40]!r} -> {parent[:40]!r} names an unknown node"
            raise ValueError(msg)
    settled: set[str] = set()
    for start in sorted(links, key=order):
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in settled and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = links.get(node)
        if node is not None and node in on_path:  # a cycle: cut it at its earliest node
            cycle = path[path.index(node) :]
            del links[min(cycle, key=order)]
        settled.update(path)
    return links


def _shorten(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


class Thread:
    """One conversation as a tree: a root (a post or a placeholder) and its replies.

    A ``Thread`` is an immutable snapshot made by :meth:`Threader.thread`; ingesting
    more posts makes new snapshots and never changes this one. Replies hang under the
    post they reply to, children in time order. Equal inputs give equal snapshots,
    whatever the arrival order: ``str(thread)`` and ``to_records()`` are then
    identical byte for byte.

    Attributes:
        conversation_id: the conversation's id: X's ``conversation_id`` (the root
            post's id), or for sources without one the id of the reply chain's top.
        root: the root post, or a :class:`Placeholder` when it is not held.
        posts: the real posts in time order (placeholders excluded).
        missing: ids referenced but not held (placeholders and tombstones), sorted.
        quotes: posts of other conversations that quote a post of this one, in time
            order (a quote opens its own conversation; it is listed here, not threaded).
        brands: the configured brand account ids.
    """

    __slots__ = (
        "_aliases",
        "_children",
        "_detached",
        "_dms",
        "_escalated_at",
        "_nodes",
        "_parents",
        "_resolved_at",
        "_root_key",
        "brands",
        "conversation_id",
        "missing",
        "posts",
        "quotes",
        "root",
    )

    conversation_id: str
    root: Post | Placeholder
    posts: tuple[Post, ...]
    missing: tuple[str, ...]
    quotes: tuple[Post, ...]
    brands: frozenset[str]

    def __init__(
        self,
        *,
        conversation_id: str,
        nodes: Mapping[str, Post | Placeholder],
        parents: Mapping[str, str],
        quotes: tuple[Post, ...] = (),
        brands: frozenset[str] = frozenset(),
        dms: tuple[DirectMessage, ...] = (),
        escalated_at: dt.datetime | None = None,
        resolved_at: dt.datetime | None = None,
    ) -> None:
        """Build a snapshot from its nodes and parent links (``Threader`` does this for you).

        Args:
            conversation_id: the conversation's id; its node is the root when held
                or referenced, else the parentless node (earliest first).
            nodes: every node by id (posts and placeholders); an edited post is
                keyed by its original id and may carry a newer version's id.
            parents: reply links, child id to parent id (both in ``nodes``).
            quotes: posts of other conversations quoting this one.
            brands: brand account ids (roles).
            dms: direct messages of the DM lane joined after an escalation.
            escalated_at: when the conversation moved to DM.
            resolved_at: when it was resolved.

        Raises:
            ValueError: ``nodes`` is empty or a link names an unknown node.
        """
        if not nodes:
            msg = f"thread {conversation_id[:40]!r} has no nodes"
            raise ValueError(msg)

        def order(key: str) -> tuple[float, int, str, int, str]:
            return (*sort_key(nodes[key]), len(key), key)

        parents = _acyclic(nodes, parents, order)
        children: dict[str, list[str]] = {}
        for child, parent in parents.items():
            children.setdefault(parent, []).append(child)

        self._children = {
            parent: tuple(sorted(kids, key=order)) for parent, kids in children.items()
        }
        self._nodes = dict(nodes)
        self._aliases = {n.id: key for key, n in nodes.items() if n.id != key}
        self._parents = dict(parents)
        tops = sorted((key for key in nodes if key not in parents), key=order)
        root_key = conversation_id
        if root_key not in nodes or root_key in parents:
            root_key = tops[0] if tops else min(nodes, key=order)
        self._root_key = root_key
        self.root = nodes[root_key]
        self._detached = tuple(key for key in tops if key != root_key)
        self.conversation_id = conversation_id
        self.posts = tuple(sorted((n for n in nodes.values() if isinstance(n, Post)), key=sort_key))
        self.missing = tuple(sorted(i for i, n in nodes.items() if isinstance(n, Placeholder)))
        self.quotes = tuple(sorted(quotes, key=sort_key))
        self.brands = frozenset(brands)
        self._dms = tuple(sorted(dms, key=lambda m: (m.created_at or _FAR_PAST, m.id)))
        self._escalated_at = escalated_at
        self._resolved_at = resolved_at

    # -- structure ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many real posts the thread holds."""
        return len(self.posts)

    def __iter__(self) -> Iterator[Post]:
        """The real posts in time order."""
        return iter(self.posts)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._nodes or post_id in self._aliases

    def _key(self, post_id: str) -> str:
        key = self._aliases.get(post_id, post_id)
        if key not in self._nodes:
            raise KeyError(post_id)
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Thread):
            return NotImplemented
        return (
            self.conversation_id == other.conversation_id
            and self._nodes == other._nodes
            and self._parents == other._parents
            and self.quotes == other.quotes
            and self._dms == other._dms
        )

    __hash__ = None  # type: ignore[assignment]  # snapshots compare by value, like dicts

    def node(self, post_id: str) -> Post | Placeholder:
        """The post (or placeholder) with this id.

        Raises:
            KeyError: the id is not part of this thread.
        """
        return self._nodes[self._key(post_id)]

    def parent(self, post_id: str) -> str | None:
        """The id of the post ``post_id`` replies to.

        ``None`` for the root and for placeholders whose own parent is unknown.

        Raises:
            KeyError: the id is not part of this thread.
        """
        return self._parents.get(self._key(post_id))

    def children(self, post_id: str) -> tuple[str, ...]:
        """Ids of the replies to ``post_id``, in time order.

        Raises:
            KeyError: the id is not part of this thread.
        """
        return self._children.get(self._key(post_id), ())

    @property
    def detached(self) -> tuple[str, ...]:
        """Tops of subtrees whose link to the root is unknown, in time order.

        A placeholder's own parent is unknown, so a missing post that is not the root
        tops a detached subtree.
        """
        return self._detached

    @property
    def tombstones(self) -> tuple[str, ...]:
        """Ids of referenced posts the platform said are deleted, protected or unavailable."""
        return tuple(
            i
            for i in self.missing
            if isinstance(n := self._nodes[i], Placeholder) and n.is_tombstone
        )

    def walk(self) -> Iterator[tuple[int, Post | Placeholder]]:
        """Every node depth-first (root first, then detached subtrees), with its depth."""
        for _, depth, node in self._walk():
            yield depth, node

    def _walk(self) -> Iterator[tuple[str, int, Post | Placeholder]]:
        for top in (self._root_key, *self._detached):
            stack = [(0, top)]
            while stack:
                depth, node_id = stack.pop()
                yield node_id, depth, self._nodes[node_id]
                stack.extend((depth + 1, c) for c in reversed(self._children.get(node_id, ())))

    def depth(self) -> int:
        """The longest reply chain below the root (0 for a lone post)."""
        return max((d for d, _ in self.walk()), default=0)

    # -- care ----------------------------------------------------------------------------------

    def role(self, user_id: str | None) -> Role:
        """The role of ``user_id`` in this conversation."""
        if user_id is not None and user_id in self.brands:
            return "brand"
        if user_id is not None and user_id == self.customer_id:
            return "customer"
        return "bystander"

    @property
    def customer_id(self) -> str | None:
        """Who opened the conversation (``None`` while only brand accounts wrote).

        The root's author, or when the root is a brand post or not held, the author
        of the earliest non-brand post.
        """
        candidates = (self.root, *self.posts) if isinstance(self.root, Post) else self.posts
        for post in candidates:
            if post.author_id not in self.brands:
                return post.author_id
        return None

    @property
    def turns(self) -> tuple[Turn, ...]:
        """Every message in time order, attributed to its real author.

        The posts, and the DM lane's messages (after an escalation) merged in by time.
        """
        out = [Turn(p.id, p.author_id, self.role(p.author_id), p.created_at) for p in self.posts]
        out.extend(
            Turn(m.id, m.sender_id, self.role(m.sender_id), m.created_at, "dm") for m in self._dms
        )
        out.sort(key=lambda t: (t.at is not None, t.at or _FAR_PAST, len(t.id), t.id))
        return tuple(out)

    @property
    def participants(self) -> tuple[Participant, ...]:
        """Everyone who wrote, customer first, then brands, then bystanders (by first turn)."""
        seen: dict[str, list[Turn]] = {}
        for turn in self.turns:
            if turn.author_id is not None:
                seen.setdefault(turn.author_id, []).append(turn)
        order = {"customer": 0, "brand": 1, "bystander": 2}
        people = [
            Participant(user, self.role(user), len(turns), turns[0].at)
            for user, turns in seen.items()
        ]
        return tuple(sorted(people, key=lambda p: order[p.role]))

    @property
    def state(self) -> ConversationState | None:
        """The care state the turns lead to.

        ``None`` while no customer has written: a brand's own post never opens a
        conversation.
        """
        events: list[tuple[dt.datetime | None, int, CareEvent]] = []
        for turn in self.turns:
            if turn.role == "customer":
                events.append((turn.at, 0, "inbound"))
            elif turn.role == "brand":
                events.append((turn.at, 0, "response"))
        if self._escalated_at is not None:
            events.append((self._escalated_at, 1, "escalate"))
        if self._resolved_at is not None:
            events.append((self._resolved_at, 2, "resolve"))
        events.sort(key=lambda e: (e[0] is not None, e[0] or _FAR_PAST, e[1]))
        state: ConversationState | None = None
        for _, _, event in events:
            if state is None and event == "response":
                continue  # the brand spoke before the customer: not care work yet
            state = next_state(state, event)
        return state

    def timings(self, calendar: BusinessHours | None = None) -> Timings:
        """First response, each response and handle time (business hours with ``calendar``)."""
        return timings(self.turns, resolved_at=self._resolved_at, calendar=calendar)

    # -- views ---------------------------------------------------------------------------------

    def _label(self, node: Post | Placeholder) -> str:
        if isinstance(node, Placeholder):
            return f"[{node.reason}] {node.id}"
        when = node.created_at.strftime("%Y-%m-%d %H:%M") if node.created_at else "?"
        who = node.author_id or "?"
        return f"{node.id} {when} @{who} ({self.role(node.author_id)}): {_shorten(node.text)}"

    def tree(self) -> str:
        """The tree as indented text, one node per line (what ``str(thread)`` shows)."""
        lines = [
            f"Thread {self.conversation_id}: {len(self.posts)} posts, {len(self.missing)} missing"
        ]
        for depth, node in self.walk():
            lines.append("  " * (depth + 1) + self._label(node))
        lines.extend(f"  quote: {self._label(q)}" for q in self.quotes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.tree()

    def __repr__(self) -> str:
        return (
            f"Thread(conversation_id={self.conversation_id!r}, posts={len(self.posts)}, "
            f"missing={len(self.missing)}, root={self._root_key!r})"
        )

    def _repr_html_(self) -> str:
        """The tree as nested HTML lists, for notebooks (text escaped)."""

        def render(node_id: str) -> str:
            label = html.escape(self._label(self._nodes[node_id]))
            kids = self._children.get(node_id, ())
            inner = "".join(render(k) for k in kids) if len(kids) else ""
            return f"<li>{label}" + (f"<ul>{inner}</ul>" if inner else "") + "</li>"

        head = html.escape(
            f"Thread {self.conversation_id}: {len(self.posts)} posts, {len(self.missing)} missing"
        )
        body = "".join(render(top) for top in (self._root_key, *self._detached))
        return f"<div class='socialcare-thread'><strong>{head}</strong><ul>{body}</ul></div>"

    def to_records(self) -> list[dict[str, object]]:
        """One dict per node, depth-first, then the quotes.

        Keys: ``conversation_id``, ``id``, ``parent_id``, ``depth``, ``kind``
        (``"post"``, ``"missing"``, ``"deleted"``, ``"protected"``, ``"unavailable"``,
        or ``"quote"`` for quotes, listed last with their quoted post as parent),
        ``author_id``, ``role``, ``created_at`` (ISO 8601 or ``None``) and ``text``.
        """
        rows: list[dict[str, object]] = []
        for key, depth, node in self._walk():
            rows.append(self._record(node, depth, self._parents.get(key)))
        rows.extend(self._record(q, None, q.quoted_id) for q in self.quotes)
        return rows

    def _record(
        self, node: Post | Placeholder, depth: int | None, parent: str | None
    ) -> dict[str, object]:
        post = node if isinstance(node, Post) else None
        kind = (
            node.reason
            if isinstance(node, Placeholder)
            else ("post" if depth is not None else "quote")
        )
        return {
            "conversation_id": self.conversation_id,
            "id": node.id,
            "parent_id": parent,
            "depth": depth,
            "kind": kind,
            "author_id": post.author_id if post else None,
            "role": self.role(post.author_id) if post else None,
            "created_at": post.created_at.isoformat() if post and post.created_at else None,
            "text": post.text if post else None,
        }

    def to_dataframe(self) -> object:
        """:meth:`to_records` as a ``pandas.DataFrame`` (needs ``socialcare[pandas]``).

        Typed ``object`` so that type checking does not need pandas (as
        :func:`socialcare.models.to_dataframe`): annotate or ``cast`` the result.

        Raises:
            ConfigurationError: pandas is not installed.
        """
        try:
            pandas = importlib.import_module("pandas")
        except ImportError as exc:
            msg = "Thread.to_dataframe() needs pandas: pip install 'socialcare[pandas]'"
            raise ConfigurationError(msg) from exc
        frame: object = pandas.DataFrame.from_records(
            self.to_records(),
            columns=[
                "conversation_id", "id", "parent_id", "depth", "kind",
                "author_id", "role", "created_at", "text",
            ],
        )  # fmt: skip
        return frame
