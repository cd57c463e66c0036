"""The app layer on a real database: authorization, maker-checker, idempotency, atomicity."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from openscf.app import NetworkService
from openscf.domain import commands as c
from openscf.domain.errors import Conflict, OpenSCFError, PermissionDenied
from openscf.domain.replay import replay
from openscf.store import tables as t
from openscf.store import unit_of_work
from openscf.store.queries import iter_events, load_exposures, log_size, stored_receivables

from ..conftest import Net, build_net
from ..tagging import tag

DUE = date(2026, 5, 29)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


def _replay_matches_store(engine: Engine) -> None:
    with engine.connect() as conn:
        result = replay(iter_events(conn))
        assert result.ok, result.violations
        assert {r.id: r for r in stored_receivables(conn)} == result.state.receivables
        assert {k: v for k, v in load_exposures(conn).items() if v} == {
            k: v for k, v in result.state.exposures.items() if v
        }


def test_the_whole_life_cycle_runs_and_replays_to_the_stored_state(net: Net) -> None:
    svc, s = net.svc, net.supplier_users
    rid = net.confirm()
    moved = svc.handle(s[0], c.TransferReceivable(rid, net.suppliers[1], 40_000_00))
    piece = moved.created["new_receivable_id"]
    split = svc.handle(s[1], c.SplitReceivable(piece, (10_000_00, 30_000_00)))
    p1, p2 = split.created["piece_ids"]
    svc.handle(s[1], c.TransferReceivable(p1, net.suppliers[2]))
    req = svc.handle(s[1], c.RequestFinancing(p2)).created["request_id"]
    offer = svc.handle(net.funder_user, c.OfferFinancing(req, "0.05", net.clock.now().date()))
    svc.handle(s[1], c.AcceptFinancingOffer(offer.created["offer_id"]))
    early = svc.handle(
        net.anchor_user,
        c.OfferEarlyPayment(moved.created["remainder_id"], "0.03", net.clock.now().date()),
    )
    svc.handle(s[0], c.AcceptEarlyPayment(early.created["offer_id"]))
    net.clock.set(net.clock.now().replace(month=5, day=29))
    with unit_of_work(svc.engine) as uow:
        live = [r.id for r in stored_receivables(uow.connection) if r.status == "live"]
    for pid in live:
        svc.handle(net.anchor_user, c.SettleReceivable(pid))
    with svc.engine.connect() as conn:
        statuses = {r.status for r in stored_receivables(conn)}
        assert "live" not in statuses
    _replay_matches_store(svc.engine)


def test_a_viewer_may_not_act(net: Net) -> None:
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle(
            net.viewer, c.ConfirmInvoice(net.program_id, net.suppliers[0], "V-1", 100, "EUR", DUE)
        )
    assert info.value.code == "permission_required"


def test_a_supplier_may_not_confirm(net: Net) -> None:
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle(
            net.supplier_users[0],
            c.ConfirmInvoice(net.program_id, net.suppliers[0], "S-1", 100, "EUR", DUE),
        )
    assert info.value.code == "role_required"


def test_an_unknown_user_may_not_act(net: Net) -> None:
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle("usr_nobody", c.SettleReceivable("rcv_x"))
    assert info.value.code == "unknown_user"


def test_a_refused_command_writes_nothing(net: Net) -> None:
    rid = net.confirm()
    before = _counts(net.svc.engine)
    attempts = [
        (net.supplier_users[1], c.TransferReceivable(rid, net.suppliers[2])),  # not holder
        (net.supplier_users[0], c.SplitReceivable(rid, (1, 2))),  # does not sum
        (net.anchor_user, c.SettleReceivable(rid)),  # not yet due
        (
            net.anchor_user,
            c.ConfirmInvoice(net.program_id, net.suppliers[0], "X", 2**63, "EUR", DUE),
        ),  # too large
    ]
    for user, command in attempts:
        with pytest.raises(OpenSCFError):
            net.svc.handle(user, command)
    assert _counts(net.svc.engine) == before


def test_a_retried_create_with_the_same_id_returns_the_original(net: Net) -> None:
    command = c.ConfirmInvoice(
        net.program_id,
        net.suppliers[0],
        "IDEM-1",
        5_000_00,
        "EUR",
        DUE,
        invoice_id=tag(net.anchor, "inv_erp-4711"),
        receivable_id=tag(net.anchor, "rcv_erp-4711"),
    )
    first = net.svc.handle(net.anchor_user, command)
    size = log_size_of(net)
    again = net.svc.handle(net.anchor_user, command)
    assert again.replayed and again.created == first.created and again.events == first.events
    assert log_size_of(net) == size


def test_a_reused_id_with_different_content_is_a_conflict(net: Net) -> None:
    net.svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(
            net.program_id,
            net.suppliers[0],
            "IDEM-2",
            5_000_00,
            "EUR",
            DUE,
            invoice_id=tag(net.anchor, "inv_k"),
            receivable_id=tag(net.anchor, "rcv_k"),
        ),
    )
    with pytest.raises(Conflict) as info:
        net.svc.handle(
            net.anchor_user,
            c.ConfirmInvoice(
                net.program_id,
                net.suppliers[0],
                "IDEM-2",
                6_000_00,
                "EUR",
                DUE,
                invoice_id=tag(net.anchor, "inv_k"),
                receivable_id=tag(net.anchor, "rcv_k"),
            ),
        )
    assert info.value.code == "idempotency_key_reused"


def test_an_idempotency_key_makes_any_command_safe_to_retry(net: Net) -> None:
    rid = net.confirm()
    command = c.SplitReceivable(rid, (1, 100_000_00 - 1))
    first = net.svc.handle(net.supplier_users[0], command, idempotency_key="k-1")
    again = net.svc.handle(net.supplier_users[0], command, idempotency_key="k-1")
    assert again.created == first.created
    with pytest.raises(Conflict) as info:
        net.svc.handle(
            net.supplier_users[0],
            c.SplitReceivable(rid, (2, 100_000_00 - 2)),
            idempotency_key="k-1",
        )
    assert info.value.code == "idempotency_key_reused"


def log_size_of(net: Net) -> int:
    with net.svc.engine.connect() as conn:
        return log_size(conn)


def test_maker_checker_on_a_large_confirmation(engine: Engine) -> None:
    net = build_net(engine, threshold=10_000_00)
    out = net.svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(net.program_id, net.suppliers[0], "BIG", 50_000_00, "EUR", DUE),
    )
    assert out.events[0]["type"] == "ConfirmationRequested"
    approval = out.created["approval_id"]
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle(net.anchor_user, c.ApproveConfirmation(approval))
    assert info.value.code == "permission_required"  # the maker is no checker
    issued = net.svc.handle(net.anchor_checker, c.ApproveConfirmation(approval))
    assert issued.events[0]["type"] == "ReceivableIssued"
    with unit_of_work(engine) as uow:
        piece = uow.state.receivable(out.created["receivable_id"])
        assert piece is not None and piece.face_minor == 50_000_00
    _replay_matches_store(engine)


def test_a_batch_commits_all_or_nothing(net: Net) -> None:
    rid = net.confirm()
    before = _counts(net.svc.engine)
    with pytest.raises(OpenSCFError):
        net.svc.handle_batch(
            [
                (net.supplier_users[0], c.SplitReceivable(rid, (50_000_00, 50_000_00))),
                (net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1])),  # consumed
            ]
        )
    assert _counts(net.svc.engine) == before
    outs = net.svc.handle_batch(
        [
            (
                net.anchor_user,
                c.ConfirmInvoice(net.program_id, net.suppliers[1], f"B-{i}", 100, "EUR", DUE),
            )
            for i in range(50)
        ]
    )
    assert len(outs) == 50
    assert len({o.created["receivable_id"] for o in outs}) == 50
    assert _counts(net.svc.engine)["receivables"] == before["receivables"] + 50
    _replay_matches_store(net.svc.engine)


def test_bootstrap_happens_once(net: Net) -> None:
    with pytest.raises(Conflict) as info:
        NetworkService(net.svc.engine).bootstrap_operator()
    assert info.value.code == "already_bootstrapped"


def test_many_commands_in_one_transaction_skip_the_refused_ones(net: Net) -> None:
    rid = net.confirm()
    results = net.svc.handle_many(
        [
            (net.supplier_users[0], c.SplitReceivable(rid, (50_000_00, 50_000_00))),
            (net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1])),  # consumed
            (
                net.anchor_user,
                c.ConfirmInvoice(net.program_id, net.suppliers[1], "M-1", 100, "EUR", DUE),
            ),
        ]
    )
    assert isinstance(results[1], Conflict) and results[1].code == "receivable_consumed"
    assert [type(r).__name__ for r in results] == ["Outcome", "Conflict", "Outcome"]
    _replay_matches_store(net.svc.engine)


def test_every_command_has_an_authorization_rule() -> None:
    from openscf.app.policy import POLICY
    from openscf.domain.commands import COMMAND_TYPES

    assert set(COMMAND_TYPES.values()) <= set(POLICY)


def test_a_transaction_commits_its_commands_with_the_callers_work_or_not_at_all(
    net: Net,
) -> None:
    rid = net.confirm()
    before = _counts(net.svc.engine)

    class Abandoned(Exception):
        pass

    def split_then_fail(uow):  # type: ignore[no-untyped-def]
        out = net.svc.run_in(
            uow, net.supplier_users[0], c.SplitReceivable(rid, (40_000_00, 60_000_00))
        )
        assert len(out.created["piece_ids"]) == 2
        raise Abandoned  # the caller's own work fails after the command ran

    with pytest.raises(Abandoned):
        net.svc.transaction(split_then_fail)
    assert _counts(net.svc.engine) == before  # no event, no piece, no log leaf

    out = net.svc.transaction(
        lambda uow: net.svc.run_in(
            uow, net.supplier_users[0], c.SplitReceivable(rid, (40_000_00, 60_000_00))
        )
    )
    after = _counts(net.svc.engine)
    assert after["receivables"] == before["receivables"] + 2
    assert after["events"] == before["events"] + 1 and out.events[0]["type"] == "ReceivableSplit"
    _replay_matches_store(net.svc.engine)
