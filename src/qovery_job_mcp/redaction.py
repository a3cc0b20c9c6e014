"""Scrubbing secrets from text that leaves the process.

Its own small module so both adapters (the MCP tools and the REST app) share one implementation
without the REST adapter importing the MCP tool machinery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
#: Where this server cuts a long value it quotes (errors.quote_input, the client's error detail).
CUT = "…"
#: The escapes JSON text may hold: an upstream body quoted as text can spell a key `\u0071ov_…`.
_JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[\"\\/bfnrt])")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def secrets_in_play(server_secrets: Iterable[str | None], credential: str | None) -> tuple[str, ...]:
    """Every secret a text leaving this call may contain: the server's, the caller's, and its bare value.

    A caller's credential arrives as `<Scheme> <value>`; Qovery may echo either form.
    """
    found = [s for s in server_secrets if s]
    if credential:
        found.append(credential)
        bare = credential.partition(" ")[2]
        if bare:
            found.append(bare)
    return tuple(found)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (ignoring empty or trivially short ones).

    Also where the text disguises one: spelled with JSON escapes (an error body quoted as text is
    decoded and scrubbed, since the reader decodes it too), or cut short by a quote's truncation
    (the head of a key just before `…` is still a key).
    """
    usable = [secret for secret in secrets if secret and len(secret) >= 4]
    text = _scrub(text, usable)
    if "\\" in text:
        decoded = _JSON_ESCAPE.sub(_unescape, text)
        if decoded != text:
            # Whole or cut short: what the reader sees once it decodes the escapes (one level, as a JSON reader
            # does) is what must hold no key.
            scrubbed = _scrub(decoded, usable)
            if scrubbed != decoded:
                text = scrubbed
    return text


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    if CUT in text:
        text = _redact_cut_heads(text, secrets)
    return text


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape.startswith("u"):
        return chr(int(escape[1:], 16))
    return _SIMPLE_ESCAPES[escape]


def _redact_cut_heads(text: str, secrets: list[str]) -> str:
    """Each cut that ends in the first 4 or more characters of a secret loses them."""
    pieces = text.split(CUT)
    for index, piece in enumerate(pieces[:-1]):
        for secret in secrets:
            for length in range(min(len(secret) - 1, len(piece)), 3, -1):
                if piece.endswith(secret[:length]):
                    pieces[index] = piece[:-length] + REDACTED
                    break
    return CUT.join(pieces)


def redact_value(value: object, secrets: tuple[str | None, ...]) -> object:
    """`redact` through a JSON value: a job whose settings hold the key must not hand it back."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(item, secrets) for item in value]
    return value


def json_text(value: object) -> str:
    """The JSON text of a result, as every adapter sends it: compact, non-ASCII kept as it is.

    `occurs_in_json` relies on this exact escaping, which is why both live here.
    Raises ValueError for NaN and Infinity, which JSON cannot carry.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def occurs_in_json(text: str, secrets: Iterable[str | None]) -> bool:
    """Whether any secret `redact` would replace occurs in `text`, a document made by `json_text`.

    JSON escapes character by character, so a string holding a secret holds the secret's escaped
    form in the document: one substring test per secret tells whether `redact_value` has anything
    to do, and a result with no secret in it (nearly all of them) is neither walked nor copied.
    """
    return any(secret and len(secret) >= 4 and json_text(secret)[1:-1] in text for secret in secrets)
