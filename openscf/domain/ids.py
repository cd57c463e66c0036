"""Prefixed ids: minted ``rcv_01JD3Q8V7M6Z4X2K9T5R1N0B8C``, client-chosen ``inv_acme.4711``.

A network-minted body is 26 Crockford base32 characters: 48 bits of milliseconds since the
Unix epoch, then 80 bits of entropy (the ULID layout), so ids sort by creation time as
strings and cannot be guessed. The domain never reads the clock or a random source:
callers pass both in.

A client-chosen id lives in its organisation's namespace: ``<prefix>_<org body>.<free>``,
where the org body is the organisation's id without ``org_`` (it never contains ``.``, so
no namespace is a prefix of another) and the free part is the client's own key. An
organisation can therefore only ever ask about ids in its own namespace, and whether
another organisation uses an id it can neither create nor probe (docs/permissions.md,
"Client-supplied ids").
"""

from __future__ import annotations

import re

from openscf.domain.errors import InvalidRequest

__all__ = [
    "MAX_ORG_BODY",
    "PREFIXES",
    "check_client_id",
    "check_id",
    "check_new_id",
    "check_org_id",
    "in_namespace",
    "is_id",
    "is_minted",
    "make_id",
    "namespace_of",
    "tagged_id",
]

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
    "dfl": "default claim",
    "rmd": "risk model",
    "rdc": "risk decision",
    "ffl": "fraud flag",
}

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
# Client-supplied ids may also be free-form (an ERP's key), within a safe character set.
_CLIENT_BODY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# An organisation's body leaves room for a tag, a '.' and a network-sized free part
# within the 64 characters of any body (ids are stored in 80-character columns).
MAX_ORG_BODY = 32
_ORG_BODY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def make_id(prefix: str, unix_ms: int, entropy: bytes) -> str:
    assert prefix in PREFIXES, prefix
    assert 0 <= unix_ms < 2**48 and len(entropy) == 10
    value = (unix_ms << 80) | int.from_bytes(entropy, "big")
    # 130 bits: two leading zero bits then 26 groups of five, most significant first,
    # taken ten bits (two characters) at a time.
    return prefix + "_" + "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]
_PAIR_SHIFTS = range(120, -1, -10)


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


def is_minted(prefix: str, text: str) -> bool:
    """Whether `text` has the shape of an id the network mints (a ULID body)."""
    return text.startswith(prefix + "_") and bool(_BODY.match(text[len(prefix) + 1 :]))


def namespace_of(org_id: str) -> str:
    """The tag of `org_id`'s namespace: its id without ``org_``."""
    assert org_id.startswith("org_"), org_id
    return org_id[4:]


def tagged_id(prefix: str, org_id: str, free: str) -> str:
    """The id `free` names in `org_id`'s namespace."""
    return f"{prefix}_{namespace_of(org_id)}.{free}"


def in_namespace(prefix: str, text: str, org_id: str) -> bool:
    """Whether `text` is a well-formed id in `org_id`'s namespace."""
    head = f"{prefix}_{namespace_of(org_id)}."
    return text.startswith(head) and len(text) > len(head) and is_id(prefix, text)


def check_org_id(text: object, param: str = "org_id") -> str:
    """An organisation id: minted, or a body of at most 32 characters without '.'."""
    org_id = check_id("org", text, param)
    if not (is_minted("org", org_id) or _ORG_BODY.match(org_id[4:])):
        raise InvalidRequest(
            "invalid_id",
            f"{param} must be 'org_' followed by 1-{MAX_ORG_BODY} letters, digits, '_' or "
            f"'-' (no '.': it tags the organisation's ids), got {text!r}",
            param,
        )
    return org_id


def check_new_id(prefix: str, text: object, param: str, org_id: str) -> str:
    """The id of a new object: minted by the network, or in `org_id`'s namespace.

    Decided from the id and the organisation alone, before any lookup, so the answer
    never depends on whether the id is used.
    """
    if prefix == "org":
        return check_org_id(text, param)
    value = check_id(prefix, text, param)
    check_id("org", org_id, "org_id")  # the namespace's owner, named by the command
    if not (is_minted(prefix, value) or in_namespace(prefix, value, org_id)):
        raise _untagged(prefix, value, param, org_id)
    return value


def check_client_id(prefix: str, text: object, param: str, org_id: str) -> str:
    """An id a client chose itself: always in `org_id`'s namespace (only the network
    mints untagged ids)."""
    if prefix == "org":
        return check_org_id(text, param)
    value = check_id(prefix, text, param)
    check_id("org", org_id, "org_id")  # the namespace's owner, named by the command
    if not in_namespace(prefix, value, org_id):
        raise _untagged(prefix, value, param, org_id)
    return value


def _untagged(prefix: str, value: str, param: str, org_id: str) -> InvalidRequest:
    head = f"{prefix}_{namespace_of(org_id)}."
    room = len(prefix) + 65 - len(head)
    return InvalidRequest(
        "invalid_id",
        f"{param} must start with '{head}' followed by 1-{room} letters, digits, '.', '_' "
        f"or '-' of your own, or be left out and the network picks one; got {value!r}",
        param,
    )
