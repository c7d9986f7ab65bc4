"""A database address as it may be shown: with every password in it replaced by ***, however it
was written (postgresql://u:pa@ss/w@host/db with @ and / left unescaped, a percent-escaped one,
?password=… or ?sslpassword=… among the parameters). Messages, logs and the outputs that record
which store they came from (`cqtt sample --db`) only ever carry the shown form."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

MASK = "***"
_SECRET_PARAM = re.compile(r"([?&;](?:ssl)?pass(?:word)?=)([^&;#]*)", re.IGNORECASE)


def _parts(raw: str) -> tuple[str, str, str] | None:
    """(scheme://, user-info, the rest) of an address; None for a file path. The user-info ends
    at the last @ before the rest (a host never holds an @; a password may)."""
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", raw)
    if scheme is None:
        return None
    rest = raw[scheme.end() :]
    query = rest.find("?")
    head = rest if query < 0 else rest[:query]
    at = head.rfind("@")
    if at < 0:
        return scheme.group(0), "", rest
    return scheme.group(0), rest[:at], rest[at + 1 :]


def shown(raw: str) -> str:
    """`raw` with its passwords masked (a file path as it is)."""
    parts = _parts(raw)
    if parts is None:
        return raw
    scheme, userinfo, rest = parts
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    rest = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, rest)
    return scheme + (userinfo + "@" if userinfo else "") + rest


def escaped(raw: str) -> str:
    """`raw` with its password percent-escaped when it holds an @ or a / as it is (then every
    character is its own, % included), so that it still reaches the server whole; a password
    without them is taken as already escaped, as the URL standard writes it."""
    parts = _parts(raw)
    if parts is None or not parts[1]:
        return raw
    scheme, userinfo, rest = parts
    user, colon, password = userinfo.partition(":")
    if "@" not in password and "/" not in password:
        return raw
    return f"{scheme}{user}{colon}{quote(password, safe='')}@{rest}"


def secrets_in(raw: str) -> list[str]:
    """The passwords an address holds, as written, unescaped and escaped (to scrub from a
    driver's message, which may quote them)."""
    parts = _parts(raw)
    if parts is None:
        return []
    found: list[str] = []
    scheme, userinfo, rest = parts
    if ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found += [m.group(2) for m in _SECRET_PARAM.finditer(rest)]
    found += [unquote(s) for s in found] + [quote(s, safe="") for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrubbed(text: str, raw: str) -> str:
    """`text` with every password of `raw` in it replaced by ***."""
    for secret in secrets_in(raw):
        text = text.replace(secret, MASK)
    return text
