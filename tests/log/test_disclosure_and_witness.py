"""A participant sees only its own events, and verifies each one against the signed
checkpoint; witnesses cosign only what extends what they saw before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from openscf.app import trustlog
from openscf.app.witness import run_witness
from openscf.domain import commands as c
from openscf.domain.events import record_from_data
from openscf.store import tables as t
from openscf.trust.canonical import decode_canonical
from openscf.trust.checkpoint import open_checkpoint
from openscf.trust.merkle import hash_leaf, verify_inclusion

from ..conftest import Net


def _grow(net: Net) -> str:
    rid = net.confirm()
    net.svc.handle(net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1], 10_000_00))
    net.confirm(7_000_00, supplier=2)
    return rid


def test_a_supplier_sees_only_its_events_and_verifies_each_against_the_checkpoint(
    net: Net, engine: Engine
) -> None:
    _grow(net)
    supplier = net.suppliers[1]
    with engine.connect() as conn:
        identity = trustlog.log_identity(conn)
        head = trustlog.latest_checkpoint(conn)
        seen = list(trustlog.disclosed_events(conn, supplier, limit=1000))
        total = conn.execute(select(t.events.c.seq)).all()
    checkpoint = open_checkpoint(head.note.encode(), identity.verifier()).checkpoint
    assert seen and len(seen) < len(total)
    for item in seen:
        record = record_from_data(decode_canonical(item.body), item.seq)
        assert supplier in record.event.parties()
        # What the participant checks on its own, with openscf.trust alone:
        verify_inclusion(
            item.seq - 1, checkpoint.size, hash_leaf(item.body), item.proof, checkpoint.root_hash
        )
    # Nothing about the other supplier's confirmation is disclosed to it.
    assert all(
        net.suppliers[2] not in record_from_data(decode_canonical(i.body)).event.parties()
        for i in seen
    )


def test_an_auditor_sees_every_event(net: Net, engine: Engine) -> None:
    _grow(net)
    auditor = net.svc.handle(
        net.operator, c.RegisterOrganisation("Audit LLP", ("auditor",), "DE")
    ).created["org_id"]
    with engine.connect() as conn:
        head = trustlog.latest_checkpoint(conn)
        seen = list(trustlog.disclosed_events(conn, auditor, limit=10_000))
    assert [i.seq for i in seen] == list(range(1, head.size + 1))


def test_a_witness_cosigns_a_growing_log_and_anyone_can_list_who_cosigned(
    net: Net, engine: Engine, tmp_path: Path
) -> None:
    state = tmp_path / "w.json"
    first = run_witness(engine, state, "funder-witness", net.funder, datetime.now(UTC))
    _grow(net)
    second = run_witness(engine, state, "funder-witness", net.funder, datetime.now(UTC))
    assert second.previous_size == first.size < second.size
    with engine.connect() as conn:
        cosigned = trustlog.cosignatures(conn)
    assert [(c_["size"], c_["witness"]) for c_ in cosigned] == [
        (first.size, "funder-witness"),
        (second.size, "funder-witness"),
    ]


def test_only_funders_and_auditors_may_witness(net: Net, engine: Engine, tmp_path: Path) -> None:
    import pytest

    from openscf.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_witness(
            engine, tmp_path / "s.json", "supplier-witness", net.suppliers[0], datetime.now(UTC)
        )
