"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures.

A signed note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(4-byte key id || signature)>``. The key id is
``SHA-256(name || 0x0A || type byte || public key)[:4]``; Ed25519 uses type byte 0x01.

Key strings follow golang.org/x/mod/sumdb/note:

- verifier key (vkey): ``<name>+<hex key id>+<base64(type byte || public key)>``
- signer key (skey): ``PRIVATE+KEY+<name>+<hex key id>+<base64(type byte || seed)>``

Opening a note is strict, and every refusal raises a specific error: malformed notes raise
a `MalformedNoteError` subclass, a signature by a known key that fails raises
`InvalidSignatureError`, and a note with no signature from a known key raises
`UnverifiedNoteError`. Signatures from unknown keys are ignored (kept as `unverified`), as
the spec demands, so logs can rotate keys and witnesses can add cosignatures.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol, Self

from .errors import (
    AmbiguousVerifierError,
    InvalidKeyNameError,
    InvalidSignatureError,
    KeyFormatError,
    KeyIdMismatchError,
    NoteEncodingError,
    NoteStructureError,
    SignatureLineError,
    TooManySignaturesError,
    UnsupportedKeyTypeError,
    UnverifiedNoteError,
)
from .keys import (
    ED25519_PUBLIC_KEY_SIZE,
    ED25519_SEED_SIZE,
    SigningKey,
    b64decode_strict,
    b64encode,
    verify_signature,
)

__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_ED25519",
    "Ed25519KeyVerifier",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "VerifierKey",
    "check_key_name",
    "encode_verifier_key",
    "format_note",
    "generate_note_key",
    "key_id",
    "open_note",
    "parse_note",
    "parse_signature_line",
    "parse_verifier_key",
    "sign_note",
    "verifier_map",
]

SIGNATURE_TYPE_ED25519 = 0x01

# The spec asks verifiers to accept at least 16 signatures and to cap the count; 100 is
# what golang.org/x/mod/sumdb/note allows, so notes it accepts, we accept.
MAX_SIGNATURES = 100

_SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
_SKEY_PREFIX = "PRIVATE+KEY+"
_KEY_ID_HEX_LEN = 8


def check_key_name(name: str) -> str:
    """Return ``name`` if it is a valid key name, else raise `InvalidKeyNameError`.

    Valid: non-empty, no Unicode space, no ``+``, no control character (the last is
    implied by the note format, which forbids control characters anywhere).
    """
    if not name:
        raise InvalidKeyNameError("key name must not be empty")
    for ch in name:
        if ch == "+" or ch.isspace() or ch < " ":
            raise InvalidKeyNameError(f"key name {name!r} contains forbidden character {ch!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidKeyNameError(f"key name {name!r} is not valid Unicode text") from exc
    return name


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || key_type || public_key)[:4]`` as a big-endian uint32.

    Preconditions: ``name`` is a valid key name (`InvalidKeyNameError`) and
    ``0 <= key_type <= 255``.
    """
    check_key_name(name)
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


# --- key strings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A parsed verifier key string: name, key id, signature type and public key bytes."""

    name: str
    key_id: int
    key_type: int
    public_key: bytes

    def encode(self) -> str:
        """The vkey string ``name+hex(id)+base64(type || key)``."""
        return (
            f"{self.name}+{self.key_id:08x}+{b64encode(bytes([self.key_type]) + self.public_key)}"
        )


def _parse_key_id(text: str) -> int:
    # Why so strict: int(text, 16) would also take "0x..", "+..", "_" and uppercase; a
    # key string should have exactly one spelling.
    if len(text) != _KEY_ID_HEX_LEN or any(ch not in "0123456789abcdef" for ch in text):
        raise KeyFormatError(f"key id {text!r} is not 8 lowercase hex digits")
    return int(text, 16)


def _parse_key_material(text: str) -> tuple[int, bytes]:
    try:
        raw = b64decode_strict(text)
    except ValueError as exc:
        raise KeyFormatError(f"key material is not canonical base64: {exc}") from exc
    if len(raw) < 2:
        raise KeyFormatError("key material is empty")
    return raw[0], raw[1:]


def parse_verifier_key(vkey: str) -> VerifierKey:
    """Parse ``name+hex(id)+base64(type || key)`` of any signature type.

    Raises `KeyFormatError` for a malformed string, `InvalidKeyNameError` for a bad name,
    and `KeyIdMismatchError` if the id is not the one computed from name, type and key.
    """
    # maxsplit=2: the base64 part may itself contain '+'; the name may not.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("verifier key must be name+keyid+base64")
    name, id_text, material = parts
    check_key_name(name)
    kid = _parse_key_id(id_text)
    key_type, public_key = _parse_key_material(material)
    if key_id(name, key_type, public_key) != kid:
        raise KeyIdMismatchError(f"verifier key {name}: id {id_text} does not match the key")
    return VerifierKey(name, kid, key_type, public_key)


def encode_verifier_key(name: str, key_type: int, public_key: bytes) -> str:
    """The vkey string for a public key of the given signature type."""
    return VerifierKey(name, key_id(name, key_type, public_key), key_type, public_key).encode()


# --- signers and verifiers -----------------------------------------------------------------


class NoteVerifier(Protocol):
    """Checks signatures made by one key, identified by (name, key id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return None if ``signature`` (without the key id) is valid over the note text.

        Otherwise raise a `TrustError`: normally `InvalidSignatureError` or a subclass; a
        verifier of a structured signature may raise a more specific malformation error
        (e.g. `CosignatureTimestampError`), which `open_note` passes through.
        """
        ...


class NoteSigner(Protocol):
    """Signs note texts with one key, identified by (name, key id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes:
        """The signature (without the key id) over the note text."""
        ...


class Ed25519KeyVerifier:
    """An Ed25519 public key under a name, for one signature type (`KEY_TYPE`).

    The shared half of the note verifier (type 0x01) and the cosignature verifier (type
    0x04, in `cosignature`): construction, the key id, vkey parsing and encoding.
    Subclasses say how `verify` reads the signature bytes.
    """

    __slots__ = ("key_id", "name", "public_key")
    KEY_TYPE: ClassVar[int]
    ROLE: ClassVar[str]  # for error messages: "verifier key", "cosigner key"

    def __init__(self, name: str, public_key: bytes) -> None:
        """Preconditions: valid key name; 32-byte public key (`KeyFormatError`)."""
        if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
            raise KeyFormatError(f"Ed25519 public key is {len(public_key)} bytes, want 32")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.KEY_TYPE, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a vkey; `UnsupportedKeyTypeError` unless its type byte is `KEY_TYPE`."""
        parsed = parse_verifier_key(vkey)
        if parsed.key_type != cls.KEY_TYPE:
            raise UnsupportedKeyTypeError(
                f"{cls.ROLE} {parsed.name} has type 0x{parsed.key_type:02x}, "
                f"want 0x{cls.KEY_TYPE:02x}"
            )
        return cls(parsed.name, parsed.public_key)

    @property
    def vkey(self) -> str:
        """This key as a vkey string."""
        return VerifierKey(self.name, self.key_id, self.KEY_TYPE, self.public_key).encode()

    def verify(self, message: bytes, signature: bytes) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Ed25519NoteVerifier(Ed25519KeyVerifier):
    """A signed-note verifier for an Ed25519 key (signature type 0x01)."""

    __slots__ = ()
    KEY_TYPE = SIGNATURE_TYPE_ED25519
    ROLE = "verifier key"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise `InvalidSignatureError` / `SignatureSizeError` unless the signature holds."""
        verify_signature(self.public_key, message, signature)


class Ed25519NoteSigner:
    """A signed-note signer for an Ed25519 key (signature type 0x01)."""

    __slots__ = ("_key", "key_id", "name")

    def __init__(self, name: str, key: SigningKey) -> None:
        """Preconditions: valid key name (`InvalidKeyNameError`)."""
        self.name = name
        self._key = key
        self.key_id = key_id(name, SIGNATURE_TYPE_ED25519, key.public_key)

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519NoteSigner:
        """Parse ``PRIVATE+KEY+name+hex(id)+base64(0x01 || seed)``.

        Raises `KeyFormatError` (or a subclass) for any malformed or inconsistent string.
        """
        if not skey.startswith(_SKEY_PREFIX):
            raise KeyFormatError("signer key must start with PRIVATE+KEY+")
        parts = skey[len(_SKEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("signer key must be PRIVATE+KEY+name+keyid+base64")
        name, id_text, material = parts
        check_key_name(name)
        kid = _parse_key_id(id_text)
        key_type, seed = _parse_key_material(material)
        if key_type != SIGNATURE_TYPE_ED25519:
            raise UnsupportedKeyTypeError(f"signer key {name} has type 0x{key_type:02x}, want 0x01")
        if len(seed) != ED25519_SEED_SIZE:
            raise KeyFormatError(f"signer key {name}: seed is {len(seed)} bytes, want 32")
        signer = cls(name, SigningKey(seed))
        if signer.key_id != kid:
            raise KeyIdMismatchError(f"signer key {name}: id {id_text} does not match the key")
        return signer

    @property
    def skey(self) -> str:
        """This signer as a PRIVATE+KEY string: a secret, never log it."""
        material = b64encode(bytes([SIGNATURE_TYPE_ED25519]) + self._key.seed)
        return f"{_SKEY_PREFIX}{self.name}+{self.key_id:08x}+{material}"

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._key.public_key

    def verifier(self) -> Ed25519NoteVerifier:
        """The verifier matching this signer."""
        return Ed25519NoteVerifier(self.name, self._key.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``message``."""
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"Ed25519NoteSigner(name={self.name!r}, key_id={self.key_id:08x})"


def generate_note_key(name: str) -> tuple[str, str]:
    """A new random Ed25519 key for ``name``, as (skey, vkey) strings."""
    signer = Ed25519NoteSigner(name, SigningKey.generate())
    return signer.skey, signer.verifier().vkey


# --- notes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key id, and the signature bytes after the key id."""

    name: str
    key_id: int
    signature: bytes

    @property
    def base64(self) -> str:
        """base64(key id || signature), as written on the line."""
        return b64encode(self.key_id.to_bytes(4, "big") + self.signature)

    def line(self) -> str:
        """The full signature line, newline included."""
        return f"{_SIG_PREFIX}{self.name} {self.base64}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """An opened note: its text, the verified signatures, and those by unknown keys."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...] = ()


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteStructureError("note text must end with a newline")
    for ch in text:
        if ch < " " and ch != "\n":
            raise NoteEncodingError(f"note text contains control character {ch!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteEncodingError("note text is not valid Unicode text") from exc


def format_note(text: str, signatures: Iterable[NoteSignature]) -> bytes:
    """Encode text and signature lines as a signed note (no signing, no verification).

    Preconditions: ``text`` ends with a newline and holds no control character other than
    newline (`MalformedNoteError` subclasses); at least one signature
    (`NoteStructureError`); valid key names (`InvalidKeyNameError`).
    """
    _check_text(text)
    lines = []
    for sig in signatures:
        check_key_name(sig.name)
        lines.append(sig.line())
    if not lines:
        raise NoteStructureError("a signed note needs at least one signature")
    return (text + "\n" + "".join(lines)).encode("utf-8")


def sign_note(
    text: str, signers: Iterable[NoteSigner], *, existing: Iterable[NoteSignature] = ()
) -> bytes:
    """Sign ``text`` with each signer; return the signed note bytes.

    ``existing`` signatures (e.g. the log's, when a witness adds its cosignature) come
    first, except those replaced by a signer with the same (name, key id); new signatures
    follow in signer order. Preconditions: as `format_note`.
    """
    _check_text(text)
    message = text.encode("utf-8")
    new = [NoteSignature(check_key_name(s.name), s.key_id, s.sign(message)) for s in signers]
    replaced = {(sig.name, sig.key_id) for sig in new}
    kept = [sig for sig in existing if (sig.name, sig.key_id) not in replaced]
    return format_note(text, [*kept, *new])


def parse_note(message: bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, checking only syntax.

    Raises `NoteEncodingError` (not UTF-8, control characters), `NoteStructureError` (no
    blank line before the signatures, text or signature block not newline-terminated),
    `SignatureLineError` (a line that is not ``— name base64``, bad base64, a signature
    shorter than key id plus one byte), `TooManySignaturesError`.
    """
    try:
        whole = bytes(message).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteEncodingError(f"note is not valid UTF-8 at byte {exc.start}") from exc
    for ch in whole:
        if ch < " " and ch != "\n":
            raise NoteEncodingError(f"note contains control character {ch!r}")
    # The text may itself hold blank lines: the signatures start after the *last* one.
    split = whole.rfind("\n\n")
    if split < 0:
        raise NoteStructureError("note has no blank line before its signatures")
    text, block = whole[: split + 1], whole[split + 2 :]
    if not block:
        raise NoteStructureError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteStructureError("last signature line is not newline-terminated (truncated?)")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise TooManySignaturesError(f"note has {len(lines)} signatures, limit {MAX_SIGNATURES}")
    signatures = [_parse_signature_line(line) for line in lines]
    return text, signatures


def parse_signature_line(line: str) -> NoteSignature:
    """One signature line (``— name base64``, with or without its newline), read with the
    same checks `parse_note` applies: for a line stored apart from its note, such as a
    witness's cosignature. Raises `NoteEncodingError` or `SignatureLineError`."""
    body = line[:-1] if line.endswith("\n") else line
    for ch in body:
        if ch < " ":
            raise NoteEncodingError(f"signature line contains control character {ch!r}")
    return _parse_signature_line(body)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise SignatureLineError(f"signature line does not start with an em dash: {line[:40]!r}")
    name, sep, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    if not sep or not encoded:
        raise SignatureLineError("signature line has no signature after the key name")
    try:
        check_key_name(name)
    except InvalidKeyNameError as exc:
        raise SignatureLineError(f"signature line has an invalid key name: {exc}") from exc
    try:
        raw = b64decode_strict(encoded)
    except (ValueError, binascii.Error) as exc:
        raise SignatureLineError(f"signature by {name} is not canonical base64") from exc
    if len(raw) < 5:
        raise SignatureLineError(f"signature by {name} is {len(raw)} bytes, too short")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def verifier_map(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    """Index verifiers by (name, key id); `AmbiguousVerifierError` on a duplicate pair."""
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        pair = (verifier.name, verifier.key_id)
        if pair in known and known[pair] is not verifier:
            raise AmbiguousVerifierError(f"two verifiers for {verifier.name}+{verifier.key_id:08x}")
        known[pair] = verifier
    return known


def open_note(
    message: bytes,
    verifiers: Iterable[NoteVerifier] | Mapping[tuple[str, int], NoteVerifier],
) -> Note:
    """Parse ``message`` and verify its signatures against the known ``verifiers``.

    Every signature whose (name, key id) matches a known verifier must verify, else
    `InvalidSignatureError` (or a subclass, e.g. `SignatureSizeError`); signatures from
    unknown keys are kept in `Note.unverified` (repeats dropped). If no known key signed,
    raises `UnverifiedNoteError`. Syntax errors: see `parse_note`.
    """
    known = dict(verifiers) if isinstance(verifiers, Mapping) else verifier_map(verifiers)
    text, signatures = parse_note(message)
    payload = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for sig in signatures:
        pair = (sig.name, sig.key_id)
        verifier = known.get(pair)
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        # Why verify repeats too (Go skips them): a second, bad signature by a known key
        # means the note was tampered with, and we would rather say so.
        try:
            verifier.verify(payload, sig.signature)
        except InvalidSignatureError as exc:
            raise type(exc)(f"signature by {sig.name}+{sig.key_id:08x}: {exc}") from exc
        if pair not in seen:
            seen.add(pair)
            verified.append(sig)
    if not verified:
        raise UnverifiedNoteError(
            "note has no signature from a known key", unverified=tuple(unverified)
        )
    return Note(text, tuple(verified), tuple(unverified))
