"""twitter-text's ``isValidUrl``: an RFC 3986-shaped check of one URL string.

Each part must be matched *entirely by the first match* of its pattern, as in the official
implementation (so alternation order matters, exactly as there).
"""

from __future__ import annotations

import re

__all__ = ["valid_url"]

_UNRESERVED = r"[a-zA-Z\u0400-\u04ff0-9\-._~]"
_PCT = r"(?:%[0-9a-fA-F]{2})"
_SUB_DELIMS = r"[!$&'()*+,;=]"
_PCHAR = f"(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|[:|@])"
_USERINFO = f"(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|:)*"
_DEC_OCTET = r"(?:[0-9]|(?:[1-9][0-9])|(?:1[0-9]{2})|(?:2[0-4][0-9])|(?:25[0-5]))"
_IPV4 = f"(?:{_DEC_OCTET}(?:\\.{_DEC_OCTET}){{3}})"
_IPV6 = r"(?:\[[a-fA-F0-9:.]+\])"
_IP = f"(?:{_IPV4}|{_IPV6})"
_PORT = r"[0-9]{1,5}"

_SUBDOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9_\-]*[a-zA-Z0-9])?)"
_DOMAIN_SEGMENT = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)"
_TLD = r"(?:[a-zA-Z](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)"
_DOMAIN = f"(?:(?:{_SUBDOMAIN}\\.)*(?:{_DOMAIN_SEGMENT}\\.){_TLD})"

_U = r"[^\u0000-\u007f]"
_U_SUBDOMAIN = f"(?:(?:[a-zA-Z0-9]|{_U})(?:(?:[a-zA-Z0-9_\\-]|{_U})*(?:[a-zA-Z0-9]|{_U}))?)"
_U_DOMAIN_SEGMENT = f"(?:(?:[a-zA-Z0-9]|{_U})(?:(?:[a-zA-Z0-9\\-]|{_U})*(?:[a-zA-Z0-9]|{_U}))?)"
_U_TLD = f"(?:(?:[a-zA-Z]|{_U})(?:(?:[a-zA-Z0-9\\-]|{_U})*(?:[a-zA-Z0-9]|{_U}))?)"
_U_DOMAIN = f"(?:(?:{_U_SUBDOMAIN}\\.)*(?:{_U_DOMAIN_SEGMENT}\\.){_U_TLD})"

_AUTHORITY = re.compile(f"(?:({_USERINFO})@)?((?:{_IP}|{_DOMAIN}))(?::({_PORT}))?")
_UNICODE_AUTHORITY = re.compile(f"(?:({_USERINFO})@)?((?:{_IP}|{_U_DOMAIN}))(?::({_PORT}))?")
_SCHEME = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+\-.]*)")
_PATH = re.compile(f"(/{_PCHAR}*)*")
_QUERY = re.compile(f"({_PCHAR}|/|\\?)*")
_UNENCODED = re.compile(
    r"(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#([^\n\r\u2028\u2029]*))?\Z"
)
_HTTP = re.compile(r"https?\Z", re.IGNORECASE | re.ASCII)
_MAX_CHECKED_LENGTH = 100_000


def _whole(value: str | None, pattern: re.Pattern[str], *, optional: bool = False) -> bool:
    # The official check is "the first match is the whole string"; a match that does not start
    # at 0 can never be the whole string, so an anchored match() decides the same, faster.
    if value is None:
        return optional
    if optional and not value:
        return True
    m = pattern.match(value)
    return m is not None and m.group(0) == value


def valid_url(url: str, *, unicode_domains: bool = True, require_protocol: bool = True) -> bool:
    """Whether ``url`` is a valid URL by twitter-text's ``isValidUrl`` rules."""
    if not url or len(url) > _MAX_CHECKED_LENGTH:
        return False
    parts = _UNENCODED.match(url)
    if parts is None:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    if require_protocol and (
        scheme is None or not _whole(scheme, _SCHEME) or _HTTP.match(scheme) is None
    ):
        return False
    if not (
        _whole(path, _PATH)
        and _whole(query, _QUERY, optional=True)
        and _whole(fragment, _QUERY, optional=True)
    ):
        return False
    return _whole(authority, _UNICODE_AUTHORITY if unicode_domains else _AUTHORITY)
