"""Tampering with the history is caught: by the auditor, or by a witness.

Each test builds a small network, then plays the dishonest operator (or database
administrator) with direct SQL, and checks the auditor names the damage.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from openscf.app.audit import audit, db_source, export_source
from openscf.app.export import export_log
from openscf.app.witness import ForkDetected, run_witness
from openscf.domain import commands as c
from openscf.store import tables as t
from openscf.store.uow import forget_log_cache
from openscf.trust.checkpoint import Checkpoint, sign_checkpoint
from openscf.trust.merkle import hash_leaf
from openscf.trust.tiles import TileAppender

from ..conftest import Net

DUE = date(2026, 5, 29)


@pytest.fixture
def history(net: Net) -> Net:
    rid = net.confirm()
    out = net.svc.handle(
        net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1], 30_000_00)
    )
    net.svc.handle(
        net.supplier_users[1],
        c.SplitReceivable(out.created["new_receivable_id"], (10_000_00, 20_000_00)),
    )
    net.confirm(5_000_00, supplier=2)
    assert audit(db_source(net.svc.engine)).ok
    return net


def _seq_of(engine: Engine, event_type: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(t.events.c.seq)
                .where(t.events.c.type == event_type)
                .order_by(t.events.c.seq.desc())
                .limit(1)
            ).scalar_one()
        )


def _body(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(select(t.events.c.body).where(t.events.c.seq == seq)).scalar_one()
        )


def _set_body(engine: Engine, seq: int, body: bytes) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET body = :b, leaf_hash = :h WHERE seq = :s"),
            {"b": body, "h": hash_leaf(body), "s": seq},
        )


def test_changing_one_byte_of_a_stored_event_is_caught(history: Net) -> None:
    engine = history.svc.engine
    seq = _seq_of(engine, "ReceivableSplit")
    body = _body(engine, seq)
    _set_body(engine, seq, body.replace(b'"faces_minor":[1000000,', b'"faces_minor":[1000001,'))
    report = audit(db_source(engine))
    assert not report.ok
    assert report.findings[0].seq == seq
    codes = {f.code for f in report.findings}
    assert "root_mismatch" in codes and "events_differ_from_request" in codes


def test_deleting_an_event_is_caught(history: Net) -> None:
    engine = history.svc.engine
    seq = _seq_of(engine, "ReceivableTransferred")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE seq = :s"), {"s": seq})
    report = audit(db_source(engine))
    assert not report.ok
    codes = {(f.code, f.seq) for f in report.findings}
    assert ("sequence_gap", seq + 1) in codes
    # The split that came with the deleted transfer no longer matches its signed request.
    assert report.findings[0] == next(f for f in report.findings if f.seq == seq - 1)


def test_swapping_two_events_is_caught(history: Net) -> None:
    engine = history.svc.engine
    a = _seq_of(engine, "ReceivableSplit")
    b = a - 1
    body_a, body_b = _body(engine, a), _body(engine, b)
    _set_body(engine, a, body_b)
    _set_body(engine, b, body_a)
    report = audit(db_source(engine))
    assert not report.ok
    # The first finding is the signed request whose events were moved (it starts at or
    # just before the swapped pair), and the roots no longer match what was signed.
    assert b - 2 <= report.findings[0].seq <= b
    assert "root_mismatch" in {f.code for f in report.findings}


def test_replacing_a_signature_is_caught(history: Net) -> None:
    engine = history.svc.engine
    seq = _seq_of(engine, "ReceivableSplit")
    record = json.loads(_body(engine, seq))
    sig = record["auth"]["sig"]
    record["auth"]["sig"] = ("B" if sig[0] != "B" else "C") + sig[1:]
    forged = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    _set_body(engine, seq, forged)
    report = audit(db_source(engine))
    assert report.findings[0].seq == seq
    assert report.findings[0].code == "invalid_signature"


def test_reassigning_a_piece_in_the_state_tables_without_an_event_is_caught(history: Net) -> None:
    engine = history.svc.engine
    with engine.begin() as conn:
        piece = conn.execute(
            select(t.receivables.c.id).where(t.receivables.c.status == "live").limit(1)
        ).scalar_one()
        conn.execute(
            text("UPDATE receivables SET holder_id = :h WHERE id = :id"),
            {"h": history.suppliers[2], "id": piece},
        )
    report = audit(db_source(engine))
    assert not report.ok
    assert any(f.code == "state_mismatch" and piece in f.message for f in report.findings)


def test_a_resigned_fork_is_refused_by_a_witness(history: Net, tmp_path: Path) -> None:
    engine = history.svc.engine
    state = tmp_path / "witness.json"
    first = run_witness(engine, state, "bank-witness", history.funder, datetime.now(UTC))
    assert first.cosigned
    # The operator, holding the real log key, rewrites event 5 and re-signs a new head.
    seq = 5
    body = _body(engine, seq).replace(b'"id":"evt_', b'"id":"evt_X', 1)
    assert body != _body(engine, seq)
    _set_body(engine, seq, body)
    with engine.connect() as conn:
        leaves = [
            bytes(h) for (h,) in conn.execute(select(t.events.c.leaf_hash).order_by(t.events.c.seq))
        ]
    tree = TileAppender()
    writes = tree.extend(leaves)
    root = tree.root()
    signer = history.svc._load_log_signer()
    note = sign_checkpoint(Checkpoint(signer.name, tree.size, root), [signer])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM log_tiles"))
        conn.execute(
            t.log_tiles.insert(),
            [
                {"level": w.level, "idx": w.index, "width": w.width, "hashes": w.hashes}
                for w in writes
            ],
        )
        conn.execute(text("DELETE FROM checkpoints WHERE size = :s"), {"s": tree.size})
        conn.execute(
            t.checkpoints.insert().values(
                size=tree.size, root=root, note=note.decode(), signed_at="x"
            )
        )
        conn.execute(text("UPDATE log_head SET root = :r"), {"r": root})
    forget_log_cache()
    with pytest.raises(ForkDetected):
        run_witness(engine, state, "bank-witness", history.funder, datetime.now(UTC))
    # ... and the auditor, holding every signed checkpoint, sees it too.
    assert not audit(db_source(engine)).ok


def test_an_honest_export_audits_clean_and_a_tampered_one_does_not(
    history: Net, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    export_log(history.svc.engine, out)
    assert audit(export_source(out)).ok
    lines = (out / "events.jsonl").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"org_', b'"orx_', 1)
    (out / "events.jsonl").write_bytes(b"\n".join(lines))
    report = audit(export_source(out))
    assert not report.ok and report.findings[0].seq == 4
