"""A small Python client that signs on the client side.

An organisation that keeps its own Ed25519 key (registered with `RegisterKey`) never
sends it anywhere: the client fills in every id the command creates, builds the canonical
request envelope, signs it locally, and sends only the envelope and the signature. The
server checks the signature against the key in force before anything happens, and every
event the request causes carries it, for any auditor to check.

    signer = RequestSigner.from_file("acme.key", key_id="key_...")
    signed = signer.sign(SplitReceivable("rcv_...", (600_00, 400_00)), org_id, user_id)
    # the pieces' ids come out as rcv_<org body>.<fresh ULID>: the organisation's namespace
    service.handle_signed(signed.request, signed.key_id, signed.signature)   # in-process
    Client("https://scf.example", api_key, signer, org_id, user_id).submit(command)  # HTTP

May import: `openscf.app` (envelope format, id rules) and what it imports.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openscf.app.clock import IdFactory, SystemClock
from openscf.app.service import fill_missing_ids, request_text
from openscf.domain import commands as c
from openscf.domain.events import REQUEST_SIGNING_CONTEXT
from openscf.trust.keys import SigningKey, encode_public_key

__all__ = ["Client", "RequestSigner", "SignedRequest", "complete_ids", "generate_key_file"]


@dataclass(frozen=True)
class SignedRequest:
    request: str
    key_id: str
    signature: str

    def to_json(self) -> dict[str, str]:
        return {"request": self.request, "key_id": self.key_id, "signature": self.signature}


def complete_ids(command: c.Command, org_id: str, ids: IdFactory | None = None) -> c.Command:
    """Fill in every id the command would create, so the signature covers them: in the
    namespace of `org_id`, the signing organisation (``rcv_<org body>.<fresh ULID>``), as
    every id a client chooses must be; only the network mints untagged ids."""
    command = fill_missing_ids(command, ids or IdFactory(SystemClock()), org_id)
    if isinstance(command, c.RegisterOrganisation) and command.custodial_key:
        # A self-signing client keeps its own keys.
        command = replace(command, custodial_key=False)
    filled: c.Command = command
    return filled


def generate_key_file(path: Path) -> str:
    """Write a new private key (mode 0600, never overwritten); return its public key."""
    key = SigningKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key.seed).decode() + "\n")
    return encode_public_key(key.public_key)


class RequestSigner:
    def __init__(self, key_id: str, key: SigningKey) -> None:
        self.key_id = key_id
        self._key = key

    def __repr__(self) -> str:
        return f"RequestSigner(key_id={self.key_id!r})"

    @classmethod
    def from_file(cls, path: Path | str, key_id: str) -> RequestSigner:
        seed = base64.b64decode(Path(path).read_text().strip(), validate=True)
        return cls(key_id, SigningKey(seed))

    @property
    def public_key(self) -> str:
        return encode_public_key(self._key.public_key)

    def sign(
        self, command: c.Command, org_id: str, user_id: str, at: datetime | None = None
    ) -> SignedRequest:
        command = complete_ids(command, org_id)
        request = request_text(command, org_id, user_id, at or datetime.now(UTC))
        signature = self._key.sign(REQUEST_SIGNING_CONTEXT + request.encode())
        return SignedRequest(request, self.key_id, base64.b64encode(signature).decode())


class Client:
    """HTTP client for the REST API's signed-request endpoint."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        signer: RequestSigner,
        org_id: str,
        user_id: str,
        *,
        timeout_s: float = 10.0,
    ) -> None:
        import httpx

        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        self.signer, self.org_id, self.user_id = signer, org_id, user_id

    def submit(self, command: c.Command, idempotency_key: str | None = None) -> Any:
        signed = self.signer.sign(command, self.org_id, self.user_id)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self._http.post("/v1/signed_requests", json=signed.to_json(), headers=headers)
        response.raise_for_status()
        return response.json()
