"""Canonical encoding: the one byte form used for hashing, signing and storage alike.

The form is a strict subset of JSON (close to RFC 8785 for the values we allow):

- objects with string keys, sorted by Unicode code point, no duplicate keys;
- arrays, strings, integers in the signed 64-bit range, `true`, `false`, `null`;
- no floats at all (money is integer minor units; rates travel as decimal strings);
- no insignificant whitespace; strings are UTF-8 with JSON's minimal escapes.

Because the encoder is deterministic, `decode_canonical` can reject any non-canonical
input by re-encoding what it parsed and comparing bytes: two different byte strings never
decode to the same value, so a signature over the bytes is a signature over the value.

Versioning: an encoded *event* is an object whose key `"v"` names the encoding version
(`EVENT_ENCODING_VERSION`). A future version adds keys or changes rules only under a new
`v`; verifiers refuse versions they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from openscf.trust.errors import TrustError

__all__ = [
    "EVENT_ENCODING_VERSION",
    "CanonicalEncodingError",
    "canonical_bytes",
    "decode_canonical",
]

EVENT_ENCODING_VERSION = 1

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1


_MAX_DEPTH = 64


class CanonicalEncodingError(TrustError):
    """A value cannot be canonically encoded, or bytes are not a canonical encoding."""

    code = "non_canonical_encoding"


def _where(trail: tuple[Any, ...] | None) -> str:
    """The JSON path of a trail built by `_check` (only computed for an error message)."""
    keys: list[Any] = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    return "$" + "".join(f"[{k}]" if type(k) is int else f".{k}" for k in reversed(keys))


def _check(value: Any) -> None:
    """Walk the value once, iteratively; exact type checks keep the common case cheap."""
    # Why a separate walk: json.dumps silently accepts floats, NaN and non-string keys,
    # each of which would make two encoders disagree about the bytes of one value.
    # Each stack entry carries its path as a linked trail (parent trail, key), so that the
    # common, valid case never formats a path string.
    stack: list[tuple[Any, tuple[Any, ...] | None, int]] = [(value, None, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, trail, depth = pop()
        kind = type(item)
        if kind is str:
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise CanonicalEncodingError(
                        f"a lone surrogate is not UTF-8 at {_where(trail)}"
                    ) from None
            continue
        if kind is int:
            if not _INT_MIN <= item <= _INT_MAX:
                raise CanonicalEncodingError(
                    f"integer out of signed 64-bit range at {_where(trail)}"
                )
            continue
        if item is None or kind is bool:
            continue
        if depth >= _MAX_DEPTH:
            raise CanonicalEncodingError(f"nesting deeper than {_MAX_DEPTH} at {_where(trail)}")
        if kind is dict or isinstance(item, Mapping):
            for key, sub in item.items():
                if type(key) is not str:
                    raise CanonicalEncodingError(
                        f"object key {key!r} at {_where(trail)} is not a string"
                    )
                push((sub, (trail, key), depth + 1))
            continue
        if (
            kind is list
            or kind is tuple
            or (isinstance(item, Sequence) and not isinstance(item, str | bytes | bytearray))
        ):
            for index, sub in enumerate(item):
                push((sub, (trail, index), depth + 1))
            continue
        if isinstance(item, float):
            raise CanonicalEncodingError(
                f"floats are not allowed in canonical encoding at {_where(trail)}"
            )
        if isinstance(item, bool | int | str):  # subclasses: encode as their base value
            continue
        raise CanonicalEncodingError(
            f"type {kind.__name__} at {_where(trail)} has no canonical encoding"
        )


def canonical_bytes(value: Any) -> bytes:
    """Encode `value` canonically. Raises CanonicalEncodingError for unencodable values."""
    _check(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def decode_canonical(data: bytes) -> Any:
    """Decode bytes that must be a canonical encoding; reject anything else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalEncodingError("not valid UTF-8") from exc

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in pairs:
            if key in result:
                raise CanonicalEncodingError(f"duplicate object key {key!r}")
            result[key] = item
        return result

    def _no_floats(token: str) -> Any:
        raise CanonicalEncodingError(f"floats are not allowed: {token}")

    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_floats,
            parse_constant=_no_floats,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalEncodingError(f"not JSON: {exc.msg} at offset {exc.pos}") from exc
    except CanonicalEncodingError:
        raise
    except (ValueError, RecursionError) as exc:
        # json's own limits: integer literals past 4300 digits, nesting past the stack.
        raise CanonicalEncodingError(f"not acceptable JSON: {exc}") from None
    if canonical_bytes(value) != data:
        raise CanonicalEncodingError("bytes are JSON but not in canonical form")
    return value
