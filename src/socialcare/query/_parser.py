"""Read X search syntax into a clause tree.

Grammar (AND binds tighter than OR, as X documents: ``apple OR iphone ipad`` is
``apple OR (iphone ipad)``)::

    query   := or_expr END
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary unary*
    unary   := "-" atom | "(" or_expr ")" | atom
    atom    := keyword | "phrase" | #tag | @user | $tag | name:value | name:"value"
"""

from __future__ import annotations

from typing import Final, Literal, cast

import attrs

from socialcare.errors import QueryError
from socialcare.query._syntax import (
    ALIASES,
    FIELD_KINDS,
    Atom,
    AtomKind,
    Clause,
    Negated,
    all_of,
    any_of,
)

__all__ = ["parse_clause"]

_TokenKind = Literal["(", ")", "OR", "-", "word", "phrase", "field"]
_SIGIL_KINDS: Final[dict[str, AtomKind]] = {"#": "hashtag", "@": "mention", "$": "cashtag"}
_STOP: Final = frozenset(' \t\r\n()"')


@attrs.frozen
class _Token:
    kind: _TokenKind
    text: str
    pos: int
    name: str = ""


def _lex(text: str) -> list[_Token]:  # noqa: C901, PLR0912 - one branch per token shape
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(cast("_TokenKind", ch), ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unbalanced quotes: the '\"' at position {i} is never closed")
            tokens.append(_Token("phrase", text[i + 1 : end], i))
            i = end + 1
        elif ch == "-":
            if i + 1 >= n or text[i + 1] in _STOP - {'"', "("}:
                raise QueryError(f"'-' at position {i} negates nothing")
            if text[i + 1] == "-":
                raise QueryError(f"double negation '--' at position {i}")
            tokens.append(_Token("-", ch, i))
            i += 1
        else:
            start = i
            while i < n and text[i] not in _STOP:
                i += 1
            word = text[start:i]
            if word.endswith(":") and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise QueryError(f"unbalanced quotes: the '\"' at position {i} is never closed")
                tokens.append(_Token("field", text[i + 1 : end], start, name=word[:-1]))
                i = end + 1
            elif word == "OR":
                tokens.append(_Token("OR", word, start))
            else:
                tokens.append(_Token("word", word, start))
    return tokens


def _atom(token: _Token) -> Atom:
    try:
        if token.kind == "phrase":
            return Atom.of("phrase", token.text)
        if token.kind == "field":
            return Atom.of(_field_kind(token.name), token.text)
        word = token.text
        kind = _SIGIL_KINDS.get(word[0])
        if kind is not None:
            return Atom.of(kind, word[1:])
        name, colon, value = word.partition(":")
        if colon:
            return Atom.of(_field_kind(name), value)
        return Atom.of("keyword", word)
    except QueryError as exc:
        raise QueryError(f"at position {token.pos}: {exc}") from None


def _field_kind(name: str) -> AtomKind:
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    if lowered not in FIELD_KINDS:
        raise QueryError(
            f"unknown operator '{name}:'; quote the text to search for it "
            f'literally ("{name}:...")'
        )
    return cast("AtomKind", lowered)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Clause | None:
        if not self.tokens:
            return None
        clause = self.or_expr()
        token = self.peek()
        if token is not None:
            raise QueryError(f"unbalanced parentheses: ')' at position {token.pos} closes nothing")
        return clause

    def or_expr(self) -> Clause:
        branches = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            branches.append(self.and_expr())
        result = any_of(branches)
        assert result is not None  # noqa: S101 - branches is never empty
        return result

    def and_expr(self) -> Clause:
        parts: list[Clause] = []
        while (token := self.peek()) is not None and token.kind not in (")", "OR"):
            parts.append(self.unary())
        if not parts:
            token = self.peek()
            if token is None:
                raise QueryError("the query ends where a clause was expected (after OR or '(')")
            if token.kind == "OR":
                raise QueryError(f"OR at position {token.pos} has no clause before it")
            raise QueryError(f"empty group or OR branch before ')' at position {token.pos}")
        result = all_of(parts)
        assert result is not None  # noqa: S101 - parts is never empty
        return result

    def unary(self) -> Clause:
        token = self.take()
        if token.kind == "-":
            inner = self.peek()
            if inner is not None and inner.kind == "(":
                raise QueryError(
                    f"X does not allow negating a group (position {token.pos}); "
                    "negate each term instead: -a -b"
                )
            if inner is None or inner.kind not in ("word", "phrase", "field"):
                raise QueryError(f"'-' at position {token.pos} negates nothing")
            return Negated(_atom(self.take()))
        if token.kind == "(":
            following = self.peek()
            if following is not None and following.kind == ")":
                raise QueryError(f"empty group '()' at position {token.pos}")
            inner_clause = self.or_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(
                    f"unbalanced parentheses: '(' at position {token.pos} is never closed"
                )
            self.take()
            return inner_clause
        if token.kind == ")":
            raise QueryError(f"unbalanced parentheses: ')' at position {token.pos} closes nothing")
        return _atom(token)


def parse_clause(text: str) -> Clause | None:
    """Parse X search syntax; ``None`` for a blank string.

    Raises:
        QueryError: the text is not valid X syntax; the message gives the position.
    """
    return _Parser(text).parse()
