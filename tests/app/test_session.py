"""A session: one transaction for many batches (the simulator's day), logged as if each
batch had committed on its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from openscf.app.service import Outcome
from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.replay import replay
from openscf.store import make_engine, migrate, sqlite_url
from openscf.store import tables as t
from openscf.store.queries import iter_events, log_size

from ..conftest import Net, build_net
from ..tagging import tag

DUE = date(2026, 5, 29)


def _confirmations(net: Net, first: int, count: int) -> list[tuple[str, c.Command]]:
    return [
        (
            net.anchor_user,
            c.ConfirmInvoice(
                net.program_id,
                net.suppliers[0],
                f"S-{i}",
                1_000_00 + i,
                "EUR",
                DUE,
                invoice_id=tag(net.anchor, f"inv_s{i}"),
                receivable_id=tag(net.anchor, f"rcv_s{i}"),
            ),
        )
        for i in range(first, first + count)
    ]


def _transfers(net: Net, first: int, count: int) -> list[tuple[str, c.Command]]:
    return [
        (
            net.supplier_users[0],
            c.TransferReceivable(tag(net.anchor, f"rcv_s{i}"), net.suppliers[1]),
        )
        for i in range(first, first + count)
    ]


def _rows(engine: Engine, table: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_sessions_log_equals_the_log_of_the_same_batches_committed_one_by_one(
    tmp_path: Path,
) -> None:
    logs = []
    for name, in_session in (("apart", False), ("session", True)):
        engine = make_engine(sqlite_url(tmp_path / f"{name}.db"))
        migrate(engine)
        net = build_net(engine)
        batches = [_confirmations(net, 0, 5), _transfers(net, 0, 3), _confirmations(net, 5, 2)]
        if in_session:
            with net.svc.session():
                results = [net.svc.handle_many(b) for b in batches]
        else:
            results = [net.svc.handle_many(b) for b in batches]
        assert all(isinstance(r, Outcome) for batch in results for r in batch)
        logs.append(
            (
                _rows(engine, t.events),
                _rows(engine, t.checkpoints),
                _rows(engine, t.idempotency),
                [[r.events for r in batch if isinstance(r, Outcome)] for batch in results],
            )
        )
        engine.dispose()
    apart, session = logs
    # Event for event, checkpoint for checkpoint (one per batch), the same stored answers
    # and the same sequence numbers handed back.
    assert session == apart
    assert len(session[1]) >= 3


def test_a_later_batch_of_a_session_sees_the_earlier_ones_and_others_see_them_at_the_end(
    net: Net,
) -> None:
    engine = net.svc.engine
    before = _count(engine, t.receivables)
    with net.svc.session():
        confirmed = net.svc.handle_many(_confirmations(net, 0, 3))
        moved = net.svc.handle_many(_transfers(net, 0, 3))
        assert all(isinstance(r, Outcome) for r in [*confirmed, *moved])
        # Every event already has its place in the log ...
        assert [e["seq"] for r in moved if isinstance(r, Outcome) for e in r.events] != []
        assert all(e["seq"] is not None for r in moved if isinstance(r, Outcome) for e in r.events)
        # ... but nothing is committed yet.
        assert _count(engine, t.receivables) == before
    assert _count(engine, t.receivables) == before + 3 + 3
    with engine.connect() as conn:
        result = replay(iter_events(conn))
    assert result.ok, result.violations


def test_a_refused_command_in_a_session_is_that_commands_answer_only(net: Net) -> None:
    with net.svc.session():
        net.svc.handle_many(_confirmations(net, 0, 1))
        results = net.svc.handle_many(
            [
                # Not the holder: refused, and leaves no trace.
                (
                    net.supplier_users[2],
                    c.TransferReceivable(tag(net.anchor, "rcv_s0"), net.suppliers[1]),
                ),
                *_transfers(net, 0, 1),
            ]
        )
    assert isinstance(results[0], OpenSCFError) and isinstance(results[1], Outcome)
    with net.svc.engine.connect() as conn:
        assert replay(iter_events(conn)).ok


def test_an_error_in_a_session_rolls_back_every_batch_of_it(net: Net) -> None:
    engine = net.svc.engine
    with engine.connect() as conn:
        size = log_size(conn)
    before = _count(engine, t.receivables)
    with pytest.raises(RuntimeError), net.svc.session():
        net.svc.handle_many(_confirmations(net, 0, 3))
        net.svc.handle_many(_transfers(net, 0, 1))
        raise RuntimeError("the batch job failed")
    assert _count(engine, t.receivables) == before
    with engine.connect() as conn:
        assert log_size(conn) == size
    # And the service goes on as before: the same commands now commit.
    assert all(isinstance(r, Outcome) for r in net.svc.handle_many(_confirmations(net, 0, 3)))
    with engine.connect() as conn:
        assert replay(iter_events(conn)).ok


def test_a_create_repeated_in_a_later_batch_of_a_session_returns_the_original(
    net: Net,
) -> None:
    invoices = _count(net.svc.engine, t.invoices)
    with net.svc.session():
        (first,) = net.svc.handle_many(_confirmations(net, 0, 1))
        (again,) = net.svc.handle_many(_confirmations(net, 0, 1))
    assert isinstance(first, Outcome) and isinstance(again, Outcome)
    assert again.replayed
    assert again.created == first.created and again.events == first.events
    assert _count(net.svc.engine, t.invoices) == invoices + 1


def test_sessions_do_not_nest(net: Net) -> None:
    with net.svc.session(), pytest.raises(RuntimeError), net.svc.session():
        pass
