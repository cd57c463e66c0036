"""Prefixed, time-sortable ids: ``rcv_01JD3Q8V7M6Z4X2K9T5R1N0B8C``.

The body is 26 Crockford base32 characters: 48 bits of milliseconds since the Unix epoch,
then 80 bits of entropy (the ULID layout), so ids sort by creation time as strings. The
domain never reads the clock or a random source: callers pass both in.
"""

from __future__ import annotations

import re

from openscf.domain.errors import InvalidRequest

__all__ = ["PREFIXES", "check_id", "is_id", "make_id"]

PREFIXES = {
    "org": "organisation",
    "usr": "user",
    "prg": "program",
    "inv": "invoice",
    "rcv": "receivable",
    "fin": "financing request",
    "ofr": "financing offer",
    "epo": "early payment offer",
    "apr": "approval",
    "evt": "event",
    "key": "key",
    "cmd": "command",
    "crd": "credit",
    "dsp": "dispute",
}

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
# Client-supplied ids may also be free-form (an ERP's key), within a safe character set.
_CLIENT_BODY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def make_id(prefix: str, unix_ms: int, entropy: bytes) -> str:
    assert prefix in PREFIXES, prefix
    assert 0 <= unix_ms < 2**48 and len(entropy) == 10
    value = (unix_ms << 80) | int.from_bytes(entropy, "big")
    # 130 bits: two leading zero bits then 26 groups of five, most significant first.
    return prefix + "_" + "".join(
        [_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5)])


def is_id(prefix: str, text: object) -> bool:
    if not isinstance(text, str) or not text.startswith(prefix + "_"):
        return False
    body = text[len(prefix) + 1 :]
    return bool(_BODY.match(body) or _CLIENT_BODY.match(body))


def check_id(prefix: str, text: object, param: str) -> str:
    if not is_id(prefix, text):
        raise InvalidRequest(
            "invalid_id",
            f"{param} must be an id starting with '{prefix}_' followed by 1-64 letters, "
            f"digits, '.', '_' or '-', got {text!r}",
            param,
        )
    assert isinstance(text, str)
    return text
