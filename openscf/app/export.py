"""`openscf export`: everything an outside auditor needs, in plain documented files.

The format is described in docs/export-format.md. Event bodies are written exactly as
stored (canonical JSON, one per line), so the export hashes to the same Merkle roots the
operator signed. Secrets (custodial keys, API keys) are never exported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from openscf.domain.model import Receivable
from openscf.store import tables as t
from openscf.store.mapping import record_to_row, row_to_record
from openscf.store.queries import iter_event_bodies

__all__ = ["export_log"]


def _json_default(value: object) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    raise TypeError(f"cannot export {type(value).__name__}")


def export_log(
    engine: Engine, out: Path, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write the export into `out` (created; must be empty). Returns counts."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; export into a new directory")
    counts = {"events": 0, "checkpoints": 0, "cosignatures": 0, "receivables": 0, "models": 0}
    with engine.connect() as conn:
        origin, vkey = conn.execute(select(t.log_identity.c.origin, t.log_identity.c.vkey)).one()
        size = conn.execute(select(t.log_head.c.size)).scalar_one()
        (out / "log.json").write_text(
            json.dumps(
                {"format": "openscf-export/1", "origin": origin, "vkey": vkey, "size": size},
                indent=2,
            )
            + "\n"
        )
        with (out / "events.jsonl").open("wb") as handle:
            for rows in iter_event_bodies(conn):
                for _, body in rows:
                    handle.write(body + b"\n")
                counts["events"] += len(rows)
                if progress:
                    progress(len(rows))
        with (out / "checkpoints.jsonl").open("w") as handle:
            for size_, note, signed_at in conn.execute(
                select(
                    t.checkpoints.c.size, t.checkpoints.c.note, t.checkpoints.c.signed_at
                ).order_by(t.checkpoints.c.size)
            ):
                handle.write(
                    json.dumps({"size": size_, "note": note, "signed_at": signed_at}) + "\n"
                )
                counts["checkpoints"] += 1
        with (out / "cosignatures.jsonl").open("w") as handle:
            for row in conn.execute(select(t.cosignatures).order_by(t.cosignatures.c.size)):
                handle.write(
                    json.dumps(
                        {
                            "size": row.size,
                            "witness": row.witness,
                            "timestamp": row.timestamp,
                            "line": row.line,
                        }
                    )
                    + "\n"
                )
                counts["cosignatures"] += 1
        witnesses = dict(conn.execute(select(t.witnesses.c.name, t.witnesses.c.vkey)).all())
        (out / "witnesses.json").write_text(json.dumps(witnesses, indent=2) + "\n")
        state = out / "state"
        state.mkdir()
        with (state / "receivables.jsonl").open("w") as handle:
            for row in conn.execute(select(t.receivables).order_by(t.receivables.c.id)):
                record = row_to_record(Receivable, row)
                handle.write(json.dumps(record_to_row(record), default=_json_default) + "\n")
                counts["receivables"] += 1
        # Risk model artefacts, byte for byte: the log holds their hashes, the auditor
        # recomputes every recorded decision from them.
        models = out / "models"
        models.mkdir()
        for model_id, content in conn.execute(
            select(t.risk_model_artefacts.c.model_id, t.risk_model_artefacts.c.content).order_by(
                t.risk_model_artefacts.c.model_id
            )
        ):
            (models / model_id).write_bytes(bytes(content))
            counts["models"] += 1
        exposures = {r.key: r.outstanding_minor for r in conn.execute(select(t.exposures))}
        (state / "exposures.json").write_text(
            json.dumps(exposures, indent=2, sort_keys=True) + "\n"
        )
    return counts
