"""The incremental threader: posts in any order, any number of calls, O(1) amortised per post.

Two kinds of members. A post that declares its conversation (X's ``conversation_id``,
the common case) is *attached* to that conversation's key: held in one dict and
appended to the key's member list, with no structure of its own; its reply link is
read from the post when a snapshot is made. Every other id (conversation keys, roots,
placeholders for missing parents, posts without a conversation id, edited posts) is a
*node* in a union-find forest whose groups are also circular linked lists (rings). A
node joins its anchor's group with a link to the group's root and a splice into the
ring (O(1)); merging two groups (a placeholder filled, a chain joining a conversation)
links the smaller-known root under the other, splices the two rings (O(1)), and path
compression keeps later look-ups short. An attached post becomes a node when it has to
(a version of it arrives, or it links two groups). A thread's members are its ring's
nodes and the posts attached to them, walked without scanning anything else; children
are ordered when a snapshot (:class:`Thread`) is built on demand from one group, so
ingesting never sorts.
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
        self._bucket: dict[str, list[str]] = {}
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
        """Make ``node`` a union-find node (its own group unless it is an attached post).

        A held post that is not a node is attached to its conversation's key: it
        leaves that list, takes its reply link and joins the key's group.
        """
        if node in self._next:
            return
        self._next[node] = node
        post = self._posts.get(node)
        if post is None:
            return
        cid = post.conversation_id
        if cid is None:  # pragma: no cover - attached posts always declare one
            return
        members = self._bucket.get(cid)
        if members is not None and node in members:
            members.remove(node)
        replied = self._reply_of(post, node)
        if replied is not None:
            self._parent.setdefault(node, replied)
        if cid != node:
            self._node(cid)
            self._union(node, cid)

    def _reply_of(self, post: Post, key: str) -> str | None:
        """The id ``post`` (held as ``key``) replies to, edits resolved; ``None`` for none."""
        for ref in post.referenced:
            if ref.type == "replied_to":
                replied = self._alias.get(ref.id, ref.id)
                return replied if replied != key else None
        return None

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
        # The hot path, inlined. A post that declares its conversation (the common case
        # with X data) is attached to that conversation's key: one dict insert and one
        # list append, no union-find node of its own; its reply link is read from the
        # post when a snapshot is made. Its parent is checked once the whole batch is
        # in (most parents arrive in the same batch, whatever the order), and only a
        # parent that is still missing, or held in another group, costs more. Posts
        # without a conversation id (the twcs CSV) join their parent's group in O(1):
        # a union-find link to the group's root and a splice into the group's ring.
        # Edits, quotes, retweets and duplicates take _add.
        held, ring, up = self._posts, self._next, self._up
        parent_of, declared, alias, tombs = self._parent, self._cid, self._alias, self._tombs
        bucket, open_key = self._bucket, self._open_key
        find, union, general = self._find, self._union, self._add
        held_get, bucket_get = held.get, bucket.get
        post_type, reply_type = Post, "replied_to"
        plain = not alias and not tombs  # no edits folded, no tombstones: the fast path holds
        later: list[tuple[str, str]] = []  # (parent, conversation) links to check at the end
        add_later = later.append
        items: Iterable[object] = posts
        try:
            for post in items:
                if type(post) is not post_type and not isinstance(post, Post):
                    msg = f"ingest() takes Post values, got {type(post).__name__}"
                    raise TypeError(msg)
                pid = post.id
                refs = post.referenced
                if refs:
                    ref = refs[0]
                    replied = ref.id
                    if ref.type != reply_type or len(refs) > 1:
                        changed += general(post)
                        plain = not alias and not tombs
                        continue
                else:
                    replied = None
                if not plain or len(post.edit_history_ids) > 1 or pid in held:
                    changed += general(post)
                    plain = not alias and not tombs
                    continue
                cid = post.conversation_id
                known = pid in ring
                if cid is not None and cid != pid and not known:
                    held[pid] = post  # attached to its conversation's key
                    changed += 1
                    members = bucket_get(cid)
                    if members is not None:
                        members.append(pid)
                    elif cid not in ring and cid not in held:  # a conversation not seen yet
                        ring[cid] = cid
                        declared[cid] = cid
                        bucket[cid] = [pid]
                    else:
                        open_key(cid, pid)
                    if replied is not None and replied != cid and replied != pid:  # noqa: PLR1714 - a tuple per post costs
                        above = held_get(replied)
                        if above is None or above.conversation_id != cid:
                            add_later((replied, cid))
                    continue
                held[pid] = post
                changed += 1
                anchor = cid if cid is not None and cid != pid else replied
                if known:  # a placeholder being filled: its group exists
                    root = up.get(pid, pid)
                    if root in up:
                        root = find(root)
                    if anchor is not None and anchor != pid:
                        if anchor not in ring:
                            if anchor in held:  # an attached post: give it a node first
                                self._node(anchor)
                                root = union(anchor, root)
                            else:
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
                    if cid is not None:
                        declared[pid] = cid
                    continue
                else:
                    if anchor in ring:
                        root = up.get(anchor, anchor)
                        if root in up:
                            root = find(root)
                    elif anchor in held:  # an attached post: give it a node first
                        self._node(anchor)
                        root = find(anchor)
                    else:
                        ring[anchor] = anchor
                        root = anchor
                    up[pid] = root
                    ring[pid] = ring[root]
                    ring[root] = pid
                if replied is not None and replied != pid:
                    parent_of[pid] = replied
                    if replied != anchor:
                        if replied not in ring:
                            if replied in held:
                                self._node(replied)
                                root = union(replied, root)
                            else:
                                up[replied] = root
                                ring[replied] = ring[root]
                                ring[root] = replied
                        elif find(replied) != root:
                            root = union(replied, root)
                if cid is not None:
                    current = declared.get(root)
                    if current != cid and (current is None or _id_key(cid) < _id_key(current)):
                        declared[root] = cid
        finally:
            for replied, cid in later:
                above = held.get(replied)
                if above is None or above.conversation_id != cid:
                    self._link(replied, cid)
        return changed

    def _open_key(self, cid: str, pid: str) -> None:
        """Start the list of posts attached to conversation ``cid`` with ``pid``."""
        self._bucket[cid] = [pid]
        if cid not in self._next:
            self._node(cid)
        root = self._find(cid)
        current = self._cid.get(root)
        if current != cid and (current is None or _id_key(cid) < _id_key(current)):
            self._cid[root] = cid

    def _link(self, replied: str, cid: str) -> None:
        """Put the node ``replied`` (a parent, held or not) into conversation ``cid``'s group."""
        ring, up = self._next, self._up
        if replied in ring or replied in self._posts:
            self._node(replied)
            self._union(replied, cid)
            return
        root = self._find(cid)  # a missing parent: a placeholder in the group
        up[replied] = root
        ring[replied] = ring[root]
        ring[root] = replied

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
            self._node(pid)  # an attached post becomes a node before its version changes
            posts[pid] = winner
            if quoted is not None and pid not in self._quote_posts:
                self._add_quote(pid, quoted, winner)
            elif pid in self._quote_posts:
                self._quote_posts[pid] = winner
            return True
        self._node(pid)
        posts[pid] = post
        self._tombs.pop(pid, None)
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
            if version in self._next or version in self._posts:
                self._fold(version, canonical)
        return canonical

    def _fold(self, version: str, canonical: str) -> None:
        """Fold the node ``version`` (seen before it was known as an edit) into ``canonical``."""
        self._node(version)
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
        return sorted((self._conversation_id(g) for g in self._groups()), key=_id_key)

    def threads(self) -> Iterator[Thread]:
        """Every conversation as a :class:`Thread`, ordered by conversation id."""
        for group in sorted(self._groups(), key=lambda g: _id_key(self._conversation_id(g))):
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
            post = self._posts.get(key)
            if post is None or post.conversation_id is None:
                raise KeyError(post_id)
            key = post.conversation_id  # an attached post: its conversation's key
        return self._snapshot(self._find(key))

    def _groups(self) -> list[str]:
        """The root node of every group (one per conversation)."""
        up = self._up
        return [node for node in self._next if node not in up]

    def _members(self, group: str) -> Iterator[str]:
        ring, bucket = self._next, self._bucket
        node = group
        while True:
            yield node
            attached = bucket.get(node)
            if attached:
                yield from attached
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
            if up is None and post is not None and member not in self._next:
                up = self._reply_of(post, member)  # an attached post: its link is its reply
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
            "conversations": len(self._groups()),
            "placeholders": placeholders,
            "tombstones": len(self._tombs),
            "quotes": len(self._quote_posts),
        }
