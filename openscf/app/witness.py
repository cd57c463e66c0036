"""A witness: a funder or an auditor that cosigns the log's checkpoints it has checked.

Each run fetches the log's latest signed checkpoint, verifies the operator's signature
with the log key the witness pinned on its first run, and checks that the new tree is an
append-only extension of the last tree this witness cosigned (a consistency proof). Only
then does it cosign (C2SP tlog-cosignature) and remember the new head. If the log shows
it a different history — a fork, even one the operator signed with its real key — the
witness refuses and says so; it never cosigns two inconsistent heads.

The witness's state (its cosigning key, the pinned log key, the last head it cosigned)
lives in its own file, not in the log's database: the log must not be able to reset it.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from openscf.app import trustlog
from openscf.domain.errors import InvalidRequest, OpenSCFError
from openscf.errors import InternalError
from openscf.trust.checkpoint import open_checkpoint
from openscf.trust.cosignature import CosignatureSigner
from openscf.trust.errors import TrustError
from openscf.trust.keys import SigningKey
from openscf.trust.merkle import verify_consistency

__all__ = ["ForkDetected", "WitnessResult", "run_witness"]


class ForkDetected(InternalError):
    """The system's: the log showed this witness a history inconsistent with the one it
    cosigned before (or one it cannot verify). The operator's log is at fault, never the
    witness; the witness cosigns nothing."""

    code = "fork_detected"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


@dataclass(frozen=True)
class WitnessResult:
    name: str
    size: int
    previous_size: int
    cosigned: bool
    message: str


def _load_state(path: Path) -> dict[str, object]:
    if path.exists():
        loaded: dict[str, object] = json.loads(path.read_text())
        return loaded
    return {}


def _save_state(path: Path, state: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written state


def run_witness(
    engine: Engine, state_path: Path, name: str, org_id: str, now: datetime
) -> WitnessResult:
    state = _load_state(state_path)
    if "seed" not in state:
        state["seed"] = base64.b64encode(os.urandom(32)).decode()
        state["name"] = name
    if state.get("name") != name:
        raise InvalidRequest(
            "witness_name_mismatch", f"{state_path} belongs to witness {state.get('name')!r}"
        )
    signer = CosignatureSigner(name, SigningKey(base64.b64decode(str(state["seed"]))))
    vkey = signer.verifier().vkey
    trustlog.register_witness(engine, name, org_id, vkey, now)

    with engine.connect() as conn:
        identity = trustlog.log_identity(conn)
        pinned = state.setdefault("log_vkey", identity.vkey)
        if pinned != identity.vkey:
            raise ForkDetected(
                "the log now presents a different signing key than the one this witness pinned"
            )
        head = trustlog.latest_checkpoint(conn)
        try:
            checkpoint = open_checkpoint(head.note.encode(), identity.verifier()).checkpoint
        except TrustError as exc:
            raise ForkDetected(f"the latest checkpoint does not verify: {exc}") from None
        if (checkpoint.size, checkpoint.root_hash) != (head.size, head.root):
            raise ForkDetected("the checkpoint's note disagrees with its stored size and root")
        old_size = int(state.get("size", 0))  # type: ignore[call-overload]
        old_root = base64.b64decode(str(state.get("root", "")))
        if checkpoint.size < old_size:
            raise ForkDetected(f"the log shrank from {old_size} to {checkpoint.size} events")
        if old_size and checkpoint.size == old_size and checkpoint.root_hash != old_root:
            raise ForkDetected(f"two different trees of size {old_size}: a fork")
        if old_size and checkpoint.size > old_size:
            try:
                proof = trustlog.consistency_proof(conn, old_size, checkpoint.size)
                verify_consistency(old_size, checkpoint.size, old_root, checkpoint.root_hash, proof)
            except (TrustError, OpenSCFError) as exc:
                raise ForkDetected(
                    f"the tree of size {checkpoint.size} does not extend the tree of size "
                    f"{old_size} this witness cosigned: {exc}"
                ) from None

    cosignature = signer.cosign(checkpoint, int(now.timestamp()))
    trustlog.add_cosignature(engine, checkpoint.size, cosignature)
    state["size"] = checkpoint.size
    state["root"] = base64.b64encode(checkpoint.root_hash).decode()
    _save_state(state_path, state)
    return WitnessResult(
        name,
        checkpoint.size,
        old_size,
        True,
        f"cosigned size {checkpoint.size} (consistent with {old_size})",
    )
