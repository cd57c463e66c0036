"""The one exception tree of openscf, and the one table of what each error means over HTTP.

Every exception openscf raises on purpose is an `OpenSCFError`. Each carries a stable
snake_case ``code`` (what programs match on; it never changes), a ``message`` a person can
act on, and the offending ``param`` when there is one. Each says whose fault it is:

- the **caller**'s (4xx): the request, document or input must change before it can
  succeed; the message says what to change;
- the **system**'s (5xx): the request may be fine, the server or its own data is not
  (the stored log contradicts itself, the master key is missing, a bug). The client is
  told only that it is on the server's side, to retry or to contact the operator, with an
  incident id that names the server's log record (which has the traceback).

The tree, every class, drawn once (here; the other modules point to it). Each line gives
whose fault the error is and its HTTP status (the row of `STATUS_TABLE` it falls under),
and the class's fixed ``code`` when it has one (the others take a code per refusal)::

    OpenSCFError                                system 500
    ├── InvalidRequest                          caller 400
    │   ├── ModelArtefactError                  caller 400  model_artefact_rejected
    │   ├── FeatureSetMismatchError             caller 400  feature_set_mismatch
    │   ├── DatasetError                        caller 400  invalid_dataset
    │   ├── DocumentError                       caller 400  document_error
    │   │   ├── MalformedXmlError               caller 400  malformed_xml
    │   │   ├── UnsafeXmlError                  caller 400  unsafe_xml
    │   │   ├── DocumentTooLargeError           caller 400  document_too_large
    │   │   ├── UnknownDocumentTypeError        caller 400  unknown_document_type
    │   │   ├── MissingElementError             caller 400  missing_element
    │   │   ├── InvalidValueError               caller 400  invalid_value
    │   │   │   └── AmountPrecisionError        caller 400  amount_precision
    │   │   └── RulesInstallError               caller 400  rules_install_failed
    │   └── SettingsError                       caller 400  invalid_setting
    ├── AuthenticationFailed                    caller 401
    ├── PermissionDenied                        caller 403
    ├── NotFound                                caller 404
    ├── Conflict                                caller 409
    │   └── ConcurrencyConflict                 caller 409  concurrent_modification
    ├── LimitExceeded                           caller 422
    ├── LoginThrottled                          caller 429  too_many_failed_logins
    ├── InternalError                           system 500
    │   ├── LogIntegrityError                   system 500  log_integrity_failure
    │   ├── ForkDetected                        system 500  fork_detected
    │   ├── MasterKeyError                      system 500  master_key_unavailable
    │   └── SchemaMismatch                      system 500  schema_mismatch
    └── TrustError                              system 500  trust_error
        ├── InvalidProofError                   system 500  invalid_proof
        │   ├── IndexOutOfRangeError            system 500  index_out_of_range
        │   ├── TreeSizeError                   system 500  invalid_tree_size
        │   ├── ProofLengthError                system 500  proof_length_mismatch
        │   ├── HashSizeError                   system 500  wrong_hash_size
        │   └── RootMismatchError               system 500  root_mismatch
        ├── KeyFormatError                      system 500  invalid_key
        │   ├── InvalidKeyNameError             system 500  invalid_key_name
        │   ├── KeyIdMismatchError              system 500  key_id_mismatch
        │   ├── UnsupportedKeyTypeError         system 500  unsupported_key_type
        │   └── AmbiguousVerifierError          system 500  ambiguous_verifier
        ├── KeyRecordError                      system 500  invalid_key_record
        ├── KeyNotInForceError                  system 500  no_key_in_force
        ├── InvalidSignatureError               system 500  invalid_signature
        │   └── SignatureSizeError              system 500  wrong_signature_size
        ├── MalformedNoteError                  system 500  malformed_note
        │   ├── NoteEncodingError               system 500  note_encoding
        │   ├── NoteStructureError              system 500  note_structure
        │   ├── SignatureLineError              system 500  malformed_signature_line
        │   └── TooManySignaturesError          system 500  too_many_signatures
        ├── UnverifiedNoteError                 system 500  unverified_note
        ├── MalformedCheckpointError            system 500  malformed_checkpoint
        │   ├── CheckpointOriginError           system 500  checkpoint_origin
        │   ├── CheckpointSizeError             system 500  checkpoint_size
        │   └── CheckpointHashError             system 500  checkpoint_root_hash
        ├── MalformedCosignatureError           system 500  malformed_cosignature
        │   └── CosignatureTimestampError       system 500  cosignature_timestamp
        └── CanonicalEncodingError              system 500  non_canonical_encoding

Where the branches live: the categories (`InvalidRequest` ... `InternalError`) here;
`DocumentError` and its subclasses in `openscf.documents.errors`; `LogIntegrityError` in
`openscf.store.uow`, `ForkDetected` in `openscf.app.witness`, `MasterKeyError` in
`openscf.app.keys`, `SchemaMismatch` in `openscf.store.db`; `SettingsError` in
`openscf.settings`; `ModelArtefactError`, `FeatureSetMismatchError` and `DatasetError` in
`openscf.risk.errors`; `TrustError` and its subclasses in `openscf.trust.errors` (and
`CanonicalEncodingError` in `openscf.trust.canonical`). `openscf.domain.errors` and
`openscf.app.auth` re-export the categories they raise. A test walks
``OpenSCFError.__subclasses__()`` and holds this drawing to the classes that exist.

Why a `TrustError` is the system's: `openscf.trust` checks evidence (proofs, signed notes,
keys), and a `TrustError` is also a `ValueError` ("the input you handed me is not
acceptable"). An adapter that hands trust something the *caller* sent (a vkey, a
cosignature line, a signed request) catches the `TrustError` and answers an
`InvalidRequest` (or `PermissionDenied`) naming the field. One that escapes to the adapter
was raised on evidence the system holds itself, so it is the server's fault.

This module imports nothing, so that every layer, `openscf.trust` included (which may
import nothing else from openscf), can derive its errors from it; an import-linter
contract holds that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "INTERNAL_ERROR_CODE",
    "STATUS_TABLE",
    "AuthenticationFailed",
    "ConcurrencyConflict",
    "Conflict",
    "Fault",
    "HttpAnswer",
    "InternalError",
    "InvalidRequest",
    "LimitExceeded",
    "LoginThrottled",
    "NotFound",
    "OpenSCFError",
    "PermissionDenied",
    "http_answer",
    "internal_error_message",
]

Fault = Literal["caller", "system"]


class OpenSCFError(Exception):
    """The root: every error openscf raises on purpose. Raise a subclass (a category
    below, or a class of its own under one); an error that falls under no category is
    the system's (500)."""

    code: str
    message: str
    param: str | None

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param

    @property
    def fault(self) -> Fault:
        """Whose fault: 'caller' (4xx, the request must change) or 'system' (5xx)."""
        return http_answer(self).fault

    def to_dict(self) -> dict[str, str | None]:
        """The error as the API shows a caller's error (a system error is never shown)."""
        return {
            "type": http_answer(self).type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


# --- the caller's side (4xx) ----------------------------------------------------------


class InvalidRequest(OpenSCFError):
    """The caller's: the input itself is wrong (a bad amount, date, id, document ...)."""


class AuthenticationFailed(OpenSCFError):
    """The caller's: no credentials, or credentials that are unknown, revoked, expired or
    malformed."""


class PermissionDenied(OpenSCFError):
    """The caller's: the actor may not do this (role, permission, not the holder, CSRF)."""


class NotFound(OpenSCFError):
    """The caller's: an id that names nothing (or nothing the caller may see)."""


class Conflict(OpenSCFError):
    """The caller's: the state forbids it now (a consumed piece, a reused id)."""


class ConcurrencyConflict(Conflict):
    """The caller's to retry: another transaction changed a record this one read. The app
    retries once or twice itself before it answers this."""

    code = "concurrent_modification"

    def __init__(self, message: str = "the record was changed by another request; retry") -> None:
        super().__init__(type(self).code, message)


class LimitExceeded(OpenSCFError):
    """The caller's: a program, supplier or funder limit would be passed. (422 rather
    than 409: no change of state would make the same request succeed on retry.)"""


class LoginThrottled(OpenSCFError):
    """The caller's: too many failed logins for this login name or from this address;
    wait `retry_after_seconds` and retry."""

    code = "too_many_failed_logins"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            type(self).code,
            f"too many failed logins; try again in {retry_after_seconds} s",
            "login",
        )
        self.retry_after_seconds = retry_after_seconds


# --- the system's side (5xx) -----------------------------------------------------------


class InternalError(OpenSCFError):
    """The system's: the server or its own data is broken, not the request. The client
    is answered 500 `internal_error`; the message and traceback go to the server's log."""


# --- the one status table ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """How the HTTP adapters (API and dashboard) answer an error: the status and the
    error body's ``type``."""

    status: int
    type: str

    @property
    def fault(self) -> Fault:
        return "caller" if self.status < 500 else "system"


STATUS_TABLE: dict[type[OpenSCFError], HttpAnswer] = {
    OpenSCFError: HttpAnswer(500, "api_error"),  # anything under no category below
    InvalidRequest: HttpAnswer(400, "invalid_request_error"),
    AuthenticationFailed: HttpAnswer(401, "authentication_error"),
    PermissionDenied: HttpAnswer(403, "permission_error"),
    NotFound: HttpAnswer(404, "not_found_error"),
    Conflict: HttpAnswer(409, "conflict_error"),
    LimitExceeded: HttpAnswer(422, "limit_error"),
    LoginThrottled: HttpAnswer(429, "rate_limit_error"),
    InternalError: HttpAnswer(500, "api_error"),
}

# The code of every 5xx answer: what went wrong inside is for the server's log only.
INTERNAL_ERROR_CODE = "internal_error"


def http_answer(error: BaseException | type[BaseException]) -> HttpAnswer:
    """The table's row for an error (or error class): its nearest category's. Anything
    that is not an `OpenSCFError` (a bug) is the system's: 500."""
    cls = error if isinstance(error, type) else type(error)
    for base in cls.__mro__:
        found = STATUS_TABLE.get(base)
        if found is not None:
            return found
    return STATUS_TABLE[OpenSCFError]


def internal_error_message(incident: str) -> str:
    """What a client is told about an error on the system's side: whose fault it is, what
    to do, and the incident id that finds the server's log record."""
    return (
        f"something went wrong on the server's side, not with your request; retry "
        f"later, or contact the operator and quote incident {incident}"
    )
