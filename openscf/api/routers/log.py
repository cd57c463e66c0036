"""The verifiable log: its identity, signed checkpoints, inclusion and consistency proofs,
witnesses and their cosignatures (everything `openscf.app.trustlog` hands out).

Hashes and signatures travel as standard base64. A participant gets an inclusion proof
only for an event it may see (the same rule as GET /v1/events); checkpoints, consistency
proofs and cosignatures reveal only hashes and are open to every authenticated caller.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, StrictInt, StrictStr

from openscf.api import schemas as s
from openscf.api.params import ERRORS, READ_ERRORS
from openscf.api.security import Caller, Mutate, services
from openscf.app import trustlog
from openscf.domain.errors import InvalidRequest, PermissionDenied
from openscf.trust.cosignature import parse_cosignature
from openscf.trust.errors import TrustError
from openscf.trust.note import parse_note

router = APIRouter()

Body = dict[str, Any]
MAX_SIZE = 2**62
Size = Annotated[int, Query(ge=1, le=MAX_SIZE)]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class LogOut(BaseModel):
    object: str = "log"
    id: str = Field(description="the log's origin line")
    origin: str
    vkey: str = Field(description="the operator's note verifier key (C2SP signed-note)")
    size: int = Field(description="size of the latest signed checkpoint")


class CosignatureOut(BaseModel):
    object: str = "cosignature"
    id: str
    size: int
    witness: str
    key_id: str
    timestamp: int
    line: str


class CheckpointOut(BaseModel):
    object: str = "checkpoint"
    id: str = Field(description="'size:<n>'")
    size: int
    root: str = Field(description="base64 root hash")
    note: str = Field(description="the signed note (C2SP tlog-checkpoint)")
    signed_at: str
    cosignatures: list[CosignatureOut]


class InclusionProofOut(BaseModel):
    object: str = "inclusion_proof"
    id: str = Field(description="the event id")
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    body: str = Field(description="base64 canonical event bytes (the leaf)")
    hashes: list[str]


class ConsistencyProofOut(BaseModel):
    object: str = "consistency_proof"
    id: str
    first: int
    second: int
    hashes: list[str]


class WitnessOut(BaseModel):
    object: str = "witness"
    id: str
    name: str
    org_id: str
    vkey: str


class RegisterWitness(s.Strict):
    name: Annotated[StrictStr, Field(pattern=r"^[\x21-\x2a\x2c-\x7e]{1,100}$")]
    vkey: Annotated[StrictStr, Field(min_length=10, max_length=300, pattern=r"^[\x21-\x7e]+$")]


class SubmitCosignature(s.Strict):
    size: Annotated[StrictInt, Field(ge=1, le=MAX_SIZE)]
    line: Annotated[
        StrictStr,
        Field(
            min_length=10,
            max_length=500,
            description="the cosignature's note signature line, '— <witness> <base64>'",
        ),
    ]


def _log(request: Request) -> trustlog.LogReader:
    return trustlog.LogReader(services(request).reads.engine)


def _cosignature(row: dict[str, Any]) -> Body:
    return {
        "object": "cosignature",
        "id": f"{row['witness']}@{row['size']}",
        "size": row["size"],
        "witness": row["witness"],
        "key_id": row["key_id"],
        "timestamp": row["timestamp"],
        "line": row["line"],
    }


def _checkpoint(head: trustlog.SignedHead, cosigs: list[dict[str, object]]) -> Body:
    return {
        "object": "checkpoint",
        "id": f"size:{head.size}",
        "size": head.size,
        "root": _b64(head.root),
        "note": head.note,
        "signed_at": head.signed_at,
        "cosignatures": [_cosignature(c) for c in cosigs if c["size"] == head.size],
    }


@router.get("/log", response_model=LogOut, responses=READ_ERRORS, tags=["log"])
def get_log(request: Request, caller: Caller) -> Body:
    """The log's identity: its origin and the operator's checkpoint verifier key."""
    identity, size = _log(request).identity()
    return {
        "object": "log",
        "id": identity.origin,
        "origin": identity.origin,
        "vkey": identity.vkey,
        "size": size,
    }


@router.get("/log/checkpoint", response_model=CheckpointOut, responses=READ_ERRORS, tags=["log"])
def get_latest_checkpoint(request: Request, caller: Caller) -> Body:
    """The latest signed checkpoint, with the witnesses' cosignatures on it."""
    return _checkpoint(*_log(request).latest())


@router.get(
    "/log/checkpoints/{size}", response_model=CheckpointOut, responses=READ_ERRORS, tags=["log"]
)
def get_checkpoint(
    request: Request, caller: Caller, size: Annotated[int, Path(ge=1, le=MAX_SIZE)]
) -> Body:
    return _checkpoint(*_log(request).at(size))


@router.get(
    "/log/proofs/inclusion", response_model=InclusionProofOut, responses=READ_ERRORS, tags=["log"]
)
def get_inclusion_proof(
    request: Request,
    caller: Caller,
    event_id: Annotated[str, Query(pattern=s.id_pattern("evt"), max_length=80)],
    tree_size: Annotated[
        int | None, Query(ge=1, le=MAX_SIZE, description=("default: the latest signed checkpoint"))
    ] = None,
) -> Body:
    """Proof that an event the caller may see is in the tree of `tree_size` leaves."""
    seq = services(request).reads.event_seq(caller, event_id)
    size, body, leaf, proof = _log(request).inclusion(seq, tree_size)
    return {
        "object": "inclusion_proof",
        "id": event_id,
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": _b64(leaf),
        "body": _b64(body),
        "hashes": [_b64(h) for h in proof],
    }


@router.get(
    "/log/proofs/consistency",
    response_model=ConsistencyProofOut,
    responses=READ_ERRORS,
    tags=["log"],
)
def get_consistency_proof(request: Request, caller: Caller, first: Size, second: Size) -> Body:
    """Proof that the tree of `second` leaves extends the tree of `first` leaves."""
    proof = _log(request).consistency(first, second)
    return {
        "object": "consistency_proof",
        "id": f"{first}-{second}",
        "first": first,
        "second": second,
        "hashes": [_b64(h) for h in proof],
    }


@router.get(
    "/log/cosignatures",
    response_model=s.ListOf[CosignatureOut],
    responses=READ_ERRORS,
    tags=["log"],
)
def list_cosignatures(
    request: Request, caller: Caller, size: Annotated[int | None, Query(ge=1, le=MAX_SIZE)] = None
) -> Body:
    rows = _log(request).cosignatures()
    return {
        "object": "list",
        "has_more": False,
        "data": [_cosignature(r) for r in rows if size is None or r["size"] == size],
    }


@router.post(
    "/log/witnesses", status_code=201, response_model=WitnessOut, responses=ERRORS, tags=["log"]
)
def register_witness(body: RegisterWitness, m: Mutate) -> Body:
    """A funder or auditor (admin) registers its cosigning key as a witness."""
    if "admin" not in m.principal.permissions:
        raise PermissionDenied(
            "permission_required", "registering a witness needs the 'admin' permission"
        )
    try:
        trustlog.register_witness(
            m.svc.service.engine,
            body.name,
            m.principal.org_id,
            body.vkey,
            m.svc.service.clock.now(),
        )
    except TrustError as exc:
        raise InvalidRequest("invalid_vkey", str(exc), "vkey") from None
    return {
        "object": "witness",
        "id": body.name,
        "name": body.name,
        "org_id": m.principal.org_id,
        "vkey": body.vkey,
    }


@router.post(
    "/log/cosignatures",
    status_code=201,
    response_model=CosignatureOut,
    responses=ERRORS,
    tags=["log"],
)
def submit_cosignature(body: SubmitCosignature, m: Mutate) -> Body:
    """A witness submits its cosignature of a checkpoint it has checked; it is verified
    against the witness's registered key before it is stored."""
    if "maker" not in m.principal.permissions and "admin" not in m.principal.permissions:
        raise PermissionDenied(
            "permission_required",
            "submitting a cosignature needs the 'maker' or 'admin' permission",
        )
    engine = m.svc.service.engine
    log = trustlog.LogReader(engine)
    head, _ = log.at(body.size)
    text = head.note.split("\n\n", 1)[0] + "\n"
    try:
        _, signatures = parse_note((text + "\n" + body.line.rstrip("\n") + "\n").encode())
        cosignature = parse_cosignature(signatures[0])
    except (TrustError, IndexError) as exc:
        raise InvalidRequest(
            "invalid_cosignature", f"not a cosignature line: {exc}", "line"
        ) from None
    owner = log.witness_owner(cosignature.name)
    if owner is None or owner != m.principal.org_id:
        raise PermissionDenied(
            "unknown_witness",
            f"{cosignature.name!r} is not a witness of the caller's organisation",
            "line",
        )
    trustlog.add_cosignature(engine, body.size, cosignature)
    return _cosignature(
        {
            "size": body.size,
            "witness": cosignature.name,
            "key_id": f"{cosignature.key_id:08x}",
            "timestamp": cosignature.timestamp,
            "line": cosignature.line(),
        }
    )
