"""The incremental threader: posts in any order, any number of calls, O(1) amortised per post.

Structure kept per node (a post, or an id some post references): its winning post, its
parent link, and its group in a union-find forest whose groups are also circular linked
lists (rings). A new post is linked straight to its conversation's root and spliced into
the ring (O(1)); merging two groups (a placeholder filled, a chain joining a
conversation) links the smaller-known root under the other, splices the two rings (O(1))
and path compression keeps later look-ups short. A thread's members are walked without
scanning anything else; children are ordered when a snapshot (:class:`Thread`) is built
on demand from one group, so ingesting never sorts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator

from socialcare.models import DirectMessage, Post
from socialcare.threads._thread import Placeholder, PlaceholderReason, Thread, sort_key

__all__ = ["Threader"]


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def _prefer(old: Post, new: Post) -> Post:
    """Of two versions of one post, the one to keep, whatever their arrival order.

    The version with the longer edit history is the newer one; equal histories (the
    same version fetched twice with different fields) are settled by their canonical
    JSON, so the choice never depends on which arrived first.
    """
    if len(new.edit_history_ids) != len(old.edit_history_ids):
        return new if len(new.edit_history_ids) > len(old.edit_history_ids) else old
    a = json.dumps(old.to_x(), sort_keys=True)
    b = json.dumps(new.to_x(), sort_keys=True)
    return new if b > a else old


class Threader:
    """Threads posts into conversations, incrementally.

    Posts are linked by ``conversation_id`` and by their ``replied_to`` reference;
    for sources without ``conversation_id`` (the twcs CSV, some exports) the reply
    chain alone decides. Retweets are ignored; a quote opens its own conversation
    and is listed in the quoted conversation's :attr:`Thread.quotes`. Versions of an
    edited post (``edit_history_ids``) are one node: the newest version wins. A reply
    whose parent is not held hangs under a :class:`Placeholder`, filled when the
    parent arrives. The result does not depend on arrival order or duplicates.

    Not thread-safe: use one ``Threader`` from one thread at a time.

    Args:
        brands: the brand accounts' user ids. Roles come from this configuration
            only, never from guesses.

    Example:
        >>> threader = Threader(brands={"brand"})
        >>> threader.ingest(posts)  # doctest: +SKIP
        >>> for thread in threader.threads():  # doctest: +SKIP
        ...     print(thread)
    """

    def __init__(self, *, brands: Iterable[str] = ()) -> None:
        if isinstance(brands, str):
            msg = "brands must be a collection of user ids, not a single string"
            raise TypeError(msg)
        self.brands: frozenset[str] = frozenset(brands)
        self._posts: dict[str, Post] = {}
        self._parent: dict[str, str] = {}
        self._up: dict[str, str] = {}
        self._size: dict[str, int] = {}
        self._next: dict[str, str] = {}
        self._groups: set[str] = set()
        self._cid: dict[str, str] = {}
        self._alias: dict[str, str] = {}
        self._tombs: dict[str, PlaceholderReason] = {}
        self._quotes: dict[str, list[str]] = {}
        self._quote_posts: dict[str, Post] = {}
        self._dms: dict[str, DirectMessage] = {}
        self._escalated: dict[str, dt.datetime] = {}
        self._resolved: dict[str, dt.datetime] = {}

    # -- union-find ----------------------------------------------------------------------------

    def _find(self, node: str) -> str:
        up = self._up
        root = node
        while root in up:
            root = up[root]
        while node != root:
            above = up[node]
            up[node] = root
            node = above
        return root

    def _node(self, node: str) -> None:
        if node not in self._next:
            self._next[node] = node
            self._groups.add(node)

    def _union(self, a: str, b: str) -> str:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return ra
        size = self._size
        sa, sb = size.get(ra, 1), size.get(rb, 1)
        if sa < sb:
            ra, rb = rb, ra
        self._up[rb] = ra
        size[ra] = sa + sb
        size.pop(rb, None)
        ring = self._next
        ring[ra], ring[rb] = ring[rb], ring[ra]  # splice the two member rings: O(1)
        self._groups.discard(rb)
        declared = self._cid.pop(rb, None)
        if declared is not None:
            current = self._cid.get(ra)
            if current is None or _id_key(declared) < _id_key(current):
                self._cid[ra] = declared
        return ra

    # -- ingest --------------------------------------------------------------------------------

    def ingest(self, posts: Iterable[Post]) -> int:  # noqa: C901, PLR0912, PLR0915 - hot path
        """Add posts (any order, duplicates and edits allowed); return how many changed a node.

        Raises:
            TypeError: an item is not a :class:`~socialcare.models.Post`.
        """
        changed = 0
        # The hot path, inlined: a post joins its anchor's group (its conversation root,
        # else its parent) in O(1): a union-find link to the group's root and a splice
        # into the group's ring. Edits, quotes, retweets and duplicates take _add.
        held, ring, up, groups = self._posts, self._next, self._up, self._groups
        parent_of, declared, alias, tombs = self._parent, self._cid, self._alias, self._tombs
        find, union, general = self._find, self._union, self._add
        post_type = Post
        items: Iterable[object] = posts
        for post in items:
            if type(post) is not post_type and not isinstance(post, Post):
                msg = f"ingest() takes Post values, got {type(post).__name__}"
                raise TypeError(msg)
            refs = post.referenced
            pid = post.id
            known = pid in ring  # held posts are in the ring too
            if (
                (refs and (len(refs) > 1 or refs[0].type != "replied_to"))
                or len(post.edit_history_ids) > 1
                or alias
                or tombs
                or (known and pid in held)
            ):
                changed += general(post)
                continue
            held[pid] = post
            changed += 1
            replied = refs[0].id if refs else None
            cid = post.conversation_id
            anchor = cid if cid is not None and cid != pid else replied
            if known:  # a placeholder being filled: its group exists
                root = up.get(pid, pid)
                if root in up:
                    root = find(root)
                if anchor is not None and anchor != pid:
                    if anchor not in ring:
                        up[anchor] = root
                        ring[anchor] = ring[root]
                        ring[root] = anchor
                    else:
                        other = up.get(anchor, anchor)
                        if other in up:
                            other = find(other)
                        if other != root:
                            root = union(other, root)
            elif anchor is None or anchor == pid:  # a new conversation root
                ring[pid] = pid
                groups.add(pid)
                if cid is not None:
                    declared[pid] = cid
                continue
            else:
                if anchor in ring:
                    root = up.get(anchor, anchor)
                    if root in up:
                        root = find(root)
                else:
                    ring[anchor] = anchor
                    groups.add(anchor)
                    root = anchor
                up[pid] = root
                ring[pid] = ring[root]
                ring[root] = pid
            if replied is not None and replied != pid:
                parent_of[pid] = replied
                if replied != anchor:
                    if replied not in ring:
                        up[replied] = root
                        ring[replied] = ring[root]
                        ring[root] = replied
                    elif find(replied) != root:
                        root = union(replied, root)
            if cid is not None:
                current = declared.get(root)
                if current != cid and (current is None or _id_key(cid) < _id_key(current)):
                    declared[root] = cid
        return changed

    def _add(self, post: Post) -> bool:  # noqa: C901, PLR0912 - every unusual case, in order
        replied = quoted = None
        for ref in post.referenced:
            kind = ref.type
            if kind == "replied_to":
                replied = ref.id
            elif kind == "quoted":
                quoted = ref.id
            else:
                return False  # a retweet adds nothing to a conversation
        pid = post.id
        cid = post.conversation_id
        alias = self._alias
        if len(post.edit_history_ids) > 1:
            pid = self._merge_versions(post.edit_history_ids, pid)
        if alias:
            pid = alias.get(pid, pid)
            replied = alias.get(replied, replied) if replied is not None else None
            cid = alias.get(cid, cid) if cid is not None else None
            quoted = alias.get(quoted, quoted) if quoted is not None else None
        posts = self._posts
        old = posts.get(pid)
        if old is not None:
            if old is post or old == post:
                return False
            winner = _prefer(old, post)
            if winner is old:
                return False
            posts[pid] = winner
            if quoted is not None and pid not in self._quote_posts:
                self._add_quote(pid, quoted, winner)
            elif pid in self._quote_posts:
                self._quote_posts[pid] = winner
            return True
        posts[pid] = post
        self._tombs.pop(pid, None)
        self._node(pid)
        if replied is not None and replied != pid:
            self._node(replied)
            self._parent[pid] = replied  # a cycle (invalid data) is cut by the snapshot
            self._union(pid, replied)
        if cid is not None:
            if cid != pid:
                self._node(cid)
                root = self._union(pid, cid)
            else:
                root = self._find(pid)
            current = self._cid.get(root)
            if current is None or (current != cid and _id_key(cid) < _id_key(current)):
                self._cid[root] = cid
        if quoted is not None:
            self._add_quote(pid, quoted, post)
        return True

    def _add_quote(self, pid: str, quoted: str, post: Post) -> None:
        self._quote_posts[pid] = post
        self._quotes.setdefault(quoted, []).append(pid)

    def _merge_versions(self, history: tuple[str, ...], pid: str) -> str:
        """Make every version id of an edited post an alias of its first (original) id."""
        canonical = history[0]
        canonical = self._alias.get(canonical, canonical)
        for version in (*history[1:], pid):
            if version == canonical or self._alias.get(version) == canonical:
                continue
            self._alias[version] = canonical
            if version in self._next:
                self._fold(version, canonical)
        return canonical

    def _fold(self, version: str, canonical: str) -> None:
        """Fold the node ``version`` (seen before it was known as an edit) into ``canonical``."""
        self._node(canonical)
        held = self._posts.pop(version, None)
        if held is not None:
            current = self._posts.get(canonical)
            self._posts[canonical] = held if current is None else _prefer(current, held)
        for child in [m for m in self._members(self._find(version)) if m in self._parent]:
            if self._parent[child] == version:
                self._parent[child] = canonical
        up = self._parent.pop(version, None)
        if up is not None and canonical not in self._parent:
            self._parent[canonical] = up
        for quoting in self._quotes.pop(version, []):
            self._quotes.setdefault(canonical, []).append(quoting)
        self._tombs.pop(version, None)
        root = self._union(version, canonical)
        if self._cid.get(root) == version:
            self._cid[root] = canonical

    def mark_unavailable(self, post_id: str, reason: PlaceholderReason = "deleted") -> None:
        """Record that a referenced post cannot be fetched: its placeholder becomes a tombstone.

        Does nothing when the post is held. ``reason`` ``"missing"`` undoes a tombstone.
        """
        post_id = self._alias.get(post_id, post_id)
        if post_id in self._posts:
            return
        self._node(post_id)
        if reason == "missing":
            self._tombs.pop(post_id, None)
        else:
            self._tombs[post_id] = reason

    # -- care events ---------------------------------------------------------------------------

    def ingest_dms(self, messages: Iterable[DirectMessage]) -> int:
        """Add direct messages; return how many were new.

        Those between a conversation's customer and a brand account, sent at or after
        that conversation's escalation, join it (the DM lane).
        """
        added = 0
        items: Iterable[object] = messages
        for message in items:
            if not isinstance(message, DirectMessage):
                msg = f"ingest_dms() takes DirectMessage values, got {type(message).__name__}"
                raise TypeError(msg)
            if self._dms.get(message.id) != message:
                self._dms[message.id] = message
                added += 1
        return added

    def escalate(self, conversation_id: str, at: dt.datetime) -> None:
        """Record that the conversation moved to direct messages at ``at`` (aware)."""
        self._check_time("at", at)
        self._escalated[conversation_id] = at

    def resolve(self, conversation_id: str, at: dt.datetime) -> None:
        """Record that the conversation was resolved at ``at`` (aware); new inbound reopens it."""
        self._check_time("at", at)
        self._resolved[conversation_id] = at

    @staticmethod
    def _check_time(name: str, value: dt.datetime) -> None:
        if value.utcoffset() is None:
            msg = f"{name} must be a timezone-aware datetime"
            raise ValueError(msg)

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many real posts are held."""
        return len(self._posts)

    def __contains__(self, post_id: object) -> bool:
        if not isinstance(post_id, str):
            return False
        return self._alias.get(post_id, post_id) in self._posts

    @property
    def missing(self) -> tuple[str, ...]:
        """Every id referenced but not held (placeholders, not tombstones), sorted."""
        return tuple(
            sorted(
                (
                    n
                    for n in self._next
                    if n not in self._posts and n not in self._alias and n not in self._tombs
                ),
                key=_id_key,
            )
        )

    def conversation_ids(self) -> list[str]:
        """The id of every conversation, sorted."""
        return sorted((self._conversation_id(g) for g in self._groups), key=_id_key)

    def threads(self) -> Iterator[Thread]:
        """Every conversation as a :class:`Thread`, ordered by conversation id."""
        for group in sorted(self._groups, key=lambda g: _id_key(self._conversation_id(g))):
            yield self._snapshot(group)

    def thread(self, conversation_id: str) -> Thread:
        """The conversation with this id.

        Raises:
            KeyError: no held or referenced post has this conversation id.
        """
        key = self._alias.get(conversation_id, conversation_id)
        if key not in self._next:
            raise KeyError(conversation_id)
        group = self._find(key)
        if self._conversation_id(group) != key:
            raise KeyError(conversation_id)
        return self._snapshot(group)

    def thread_of(self, post_id: str) -> Thread:
        """The conversation that holds (or references) ``post_id``.

        Raises:
            KeyError: the id is neither held nor referenced.
        """
        key = self._alias.get(post_id, post_id)
        if key not in self._next:
            raise KeyError(post_id)
        return self._snapshot(self._find(key))

    def _members(self, group: str) -> Iterator[str]:
        ring = self._next
        node = group
        while True:
            yield node
            node = ring[node]
            if node == group:
                return

    def _conversation_id(self, group: str) -> str:
        declared = self._cid.get(group)
        if declared is not None:
            return declared
        parent = self._parent
        node = group
        seen: dict[str, int] = {}
        while node in parent:
            if node in seen:  # a reply cycle (invalid data): cut where the snapshot cuts it
                cycle = list(seen)[seen[node] :]
                return min(cycle, key=self._order)
            seen[node] = len(seen)
            node = parent[node]
        return node

    def _order(self, key: str) -> tuple[float, int, str, int, str]:
        post = self._posts.get(key)
        return (*sort_key(post if post is not None else Placeholder(key)), len(key), key)

    def _snapshot(self, group: str) -> Thread:
        nodes: dict[str, Post | Placeholder] = {}
        parents: dict[str, str] = {}
        quotes: list[Post] = []
        alias, posts, tombs = self._alias, self._posts, self._tombs
        for member in self._members(group):
            if member in alias:
                continue
            post = posts.get(member)
            nodes[member] = (
                post if post is not None else Placeholder(member, tombs.get(member, "missing"))
            )
            up = self._parent.get(member)
            if up is not None:
                parents[member] = up
            quotes.extend(self._quote_posts[q] for q in self._quotes.get(member, ()))
        conversation_id = self._conversation_id(group)
        thread = Thread(
            conversation_id=conversation_id,
            nodes=nodes,
            parents=parents,
            quotes=tuple(quotes),
            brands=self.brands,
            escalated_at=self._escalated.get(conversation_id),
            resolved_at=self._resolved.get(conversation_id),
        )
        escalated = self._escalated.get(conversation_id)
        if escalated is None or not self._dms:
            return thread
        return Thread(
            conversation_id=conversation_id,
            nodes=nodes,
            parents=parents,
            quotes=tuple(quotes),
            brands=self.brands,
            dms=self._dm_lane(thread.customer_id, escalated),
            escalated_at=escalated,
            resolved_at=self._resolved.get(conversation_id),
        )

    def _dm_lane(self, customer: str | None, since: dt.datetime) -> tuple[DirectMessage, ...]:
        if customer is None:
            return ()
        lane = []
        for message in self._dms.values():
            people = {message.sender_id, *message.participant_ids}
            if message.dm_conversation_id and not message.participant_ids:
                people.update(message.dm_conversation_id.split("-"))
            if (
                customer in people
                and people & self.brands
                and message.created_at is not None
                and message.created_at >= since
            ):
                lane.append(message)
        return tuple(lane)

    def stats(self) -> dict[str, int]:
        """Counts: ``posts``, ``conversations``, ``placeholders``, ``tombstones``, ``quotes``."""
        placeholders = sum(1 for n in self._next if n not in self._posts and n not in self._alias)
        return {
            "posts": len(self._posts),
            "conversations": len(self._groups),
            "placeholders": placeholders,
            "tombstones": len(self._tombs),
            "quotes": len(self._quote_posts),
        }
