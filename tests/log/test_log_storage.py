"""The log as stored: every event a leaf, proofs from stored nodes, signed checkpoints."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select, text

from openscf.app import trustlog
from openscf.domain import commands as c
from openscf.store import tables as t
from openscf.store.uow import LogIntegrityError, forget_log_cache
from openscf.trust.checkpoint import open_checkpoint
from openscf.trust.merkle import hash_leaf, root_hash, verify_consistency, verify_inclusion

from ..conftest import Net

DUE = date(2026, 5, 29)


def _some_history(net: Net) -> None:
    rid = net.confirm()
    out = net.svc.handle(
        net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1], 10_000_00)
    )
    net.svc.handle(
        net.supplier_users[1],
        c.SplitReceivable(out.created["new_receivable_id"], (4_000_00, 6_000_00)),
    )


def test_the_root_over_all_stored_events_is_the_signed_checkpoint(net: Net, engine: Engine) -> None:
    _some_history(net)
    with engine.connect() as conn:
        bodies = [
            bytes(b) for (b,) in conn.execute(select(t.events.c.body).order_by(t.events.c.seq))
        ]
        leaves = [
            bytes(h) for (h,) in conn.execute(select(t.events.c.leaf_hash).order_by(t.events.c.seq))
        ]
        head = trustlog.latest_checkpoint(conn)
        identity = trustlog.log_identity(conn)
    assert leaves == [hash_leaf(b) for b in bodies]
    assert head.size == len(bodies)
    signed = open_checkpoint(head.note.encode(), identity.verifier()).checkpoint
    assert signed.root_hash == root_hash(bodies) == head.root


def test_every_event_proves_its_inclusion_from_stored_nodes(net: Net, engine: Engine) -> None:
    _some_history(net)
    with engine.connect() as conn:
        head = trustlog.latest_checkpoint(conn)
        for seq, leaf in conn.execute(select(t.events.c.seq, t.events.c.leaf_hash)):
            proof = trustlog.inclusion_proof(conn, seq, head.size)
            verify_inclusion(seq - 1, head.size, bytes(leaf), proof, head.root)


def test_every_pair_of_checkpoints_is_consistent(net: Net, engine: Engine) -> None:
    _some_history(net)
    with engine.connect() as conn:
        heads = [
            (int(s), bytes(r))
            for s, r in conn.execute(
                select(t.checkpoints.c.size, t.checkpoints.c.root).order_by(t.checkpoints.c.size)
            )
        ]
        assert len(heads) >= 5
        for old_size, old_root in heads[::3]:
            for new_size, new_root in heads[::4]:
                if old_size <= new_size:
                    proof = trustlog.consistency_proof(conn, old_size, new_size)
                    verify_consistency(old_size, new_size, old_root, new_root, proof)


def test_each_event_is_appended_in_the_same_transaction_as_its_state_change(
    net: Net, engine: Engine
) -> None:
    with engine.connect() as conn:
        before = conn.execute(select(t.log_head.c.size)).scalar_one()
    rid = net.confirm()
    with engine.connect() as conn:
        after = conn.execute(select(t.log_head.c.size)).scalar_one()
        nodes = conn.execute(text("SELECT sum(width) FROM log_tiles WHERE level = 0")).scalar()
        piece = conn.execute(select(t.receivables.c.id).where(t.receivables.c.id == rid)).scalar()
    assert after == before + 1 and nodes == after and piece == rid


def test_the_operator_refuses_to_sign_a_checkpoint_that_forks_the_log(
    net: Net, engine: Engine
) -> None:
    _some_history(net)
    # Someone rewrites the stored tree (here: the head's root) behind the operator's back.
    with engine.begin() as conn:
        conn.execute(text("UPDATE log_head SET root = :r WHERE id = 1"), {"r": b"\x01" * 32})
        size_before = conn.execute(select(t.log_head.c.size)).scalar_one()
    with pytest.raises(LogIntegrityError):
        net.confirm()
    with pytest.raises(LogIntegrityError):
        net.svc.sign_checkpoint()
    with engine.connect() as conn:
        assert conn.execute(select(t.log_head.c.size)).scalar_one() == size_before


def test_tampered_nodes_are_caught_before_anything_is_signed(net: Net, engine: Engine) -> None:
    _some_history(net)
    with engine.begin() as conn:
        # Overwrite the first hash of the partial leaf tile, which an append must read.
        blob = conn.execute(
            text("SELECT hashes FROM log_tiles WHERE level = 0 AND idx = 0")
        ).scalar()
        conn.execute(
            text("UPDATE log_tiles SET hashes = :h WHERE level = 0 AND idx = 0"),
            {"h": b"\x02" * 32 + bytes(blob)[32:]},
        )
    forget_log_cache()  # as a newly started process
    fresh = type(net.svc)(engine, net.clock)
    with pytest.raises(LogIntegrityError):
        fresh.handle(
            net.anchor_user,
            c.ConfirmInvoice(net.program_id, net.suppliers[0], "T-1", 100, "EUR", DUE),
        )
