"""Retries are exact under concurrency, on SQLite and on PostgreSQL.

An identical retry (same client-supplied ids, or the same Idempotency-Key) racing with the
first attempt gets the original answer, never a refusal caused by the first attempt's own
effect. A conflict the client did not cause (another client's command touching the same
limit) is retried by the server, never returned. Real OS processes, real connections.
"""

from __future__ import annotations

import base64
import multiprocessing as mp
from typing import Any

from sqlalchemy import Engine

from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.replay import replay
from openscf.store import make_engine
from openscf.store.queries import iter_events
from openscf.trust.keys import SigningKey

from ..conftest import START, Net
from ..tagging import tag


def _worker(url: str, jobs: list[tuple[str, Any, str | None]], barrier: Any, results: Any) -> None:
    from openscf.app import FixedClock, NetworkService

    engine = make_engine(url)
    svc = NetworkService(engine, FixedClock(START))
    engine.connect().close()  # connect before the start line: race only the commands
    barrier.wait()
    for user, command, key in jobs:
        try:
            if user == "signed":  # command is (request, key id, signature)
                out = svc.handle_signed(*command)
            else:
                out = svc.handle(user, command, idempotency_key=key)
            results.put(("ok", out.created, [e["seq"] for e in out.events]))
        except OpenSCFError as exc:
            results.put(("refused", exc.code, None))
        except Exception as exc:  # pragma: no cover - reported as a failure below
            results.put(("crashed", repr(exc), None))
    engine.dispose()


def _race(
    engine: Engine,
    per_process: list[list[tuple[str, Any, str | None]]],
) -> list[tuple[str, Any, Any]]:
    url = engine.url.render_as_string(hide_password=False)
    ctx = mp.get_context("fork")  # the worker lives in a test module
    barrier = ctx.Barrier(len(per_process))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, jobs, barrier, results)) for jobs in per_process
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for jobs in per_process for _ in jobs]
    for p in procs:
        p.join(timeout=60)
    return out


def test_identical_retries_with_client_ids_racing_all_get_the_original_answer(
    net: Net, engine: Engine
) -> None:
    for round_ in range(5):
        rid = net.confirm(number=f"R-{round_}")
        command = c.TransferReceivable(
            rid, net.suppliers[1], new_receivable_id=tag(net.suppliers[0], f"rcv_retry{round_}")
        )
        outcomes = _race(engine, [[(net.supplier_users[0], command, None)]] * 4)
        assert [kind for kind, _, _ in outcomes] == ["ok"] * 4, outcomes
        assert len({str(created) for _, created, _ in outcomes}) == 1, outcomes
        assert outcomes[0][1]["new_receivable_id"] == tag(net.suppliers[0], f"rcv_retry{round_}")
        assert len({str(seqs) for _, _, seqs in outcomes}) == 1, "one original, replayed"


def test_identical_retries_with_one_idempotency_key_racing_all_get_the_original_answer(
    net: Net, engine: Engine
) -> None:
    for round_ in range(5):
        rid = net.confirm(number=f"K-{round_}")
        command = c.SplitReceivable(rid, (60_000_00, 40_000_00))
        outcomes = _race(engine, [[(net.supplier_users[0], command, f"split-{round_}")]] * 4)
        assert [kind for kind, _, _ in outcomes] == ["ok"] * 4, outcomes
        assert len({str(created) for _, created, _ in outcomes}) == 1, outcomes
    with engine.connect() as conn:
        assert replay(iter_events(conn)).ok


def test_identical_signed_requests_racing_all_get_the_original_answer(
    net: Net, engine: Engine, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    from openscf.app.service import request_text
    from openscf.domain.events import REQUEST_SIGNING_CONTEXT

    svc = net.svc
    org, user, key_id, key = self_signer
    for round_ in range(5):
        rid = svc.handle(
            net.anchor_user,
            c.ConfirmInvoice(
                net.program_id, org, f"S-{round_}", 10_000_00, "EUR", START.date().replace(month=5)
            ),
        ).created["receivable_id"]
        command = c.SplitReceivable(
            rid,
            (6_000_00, 4_000_00),
            piece_ids=(tag(org, f"rcv_sa{round_}"), tag(org, f"rcv_sb{round_}")),
        )
        request = request_text(command, org, user, START)
        signature = base64.b64encode(key.sign(REQUEST_SIGNING_CONTEXT + request.encode())).decode()
        outcomes = _race(engine, [[("signed", (request, key_id, signature), None)]] * 4)
        assert [kind for kind, _, _ in outcomes] == ["ok"] * 4, outcomes
        assert len({str(seqs) for _, _, seqs in outcomes}) == 1, "one original, replayed"


def test_concurrent_valid_confirmations_on_one_program_all_succeed(
    net: Net, engine: Engine
) -> None:
    # Every confirmation raises the same program and supplier exposure: the hottest rows.
    per_process = [
        [
            (
                net.anchor_user,
                c.ConfirmInvoice(
                    net.program_id,
                    net.suppliers[p % 3],
                    f"C-{p}-{i}",
                    1_000_00,
                    "EUR",
                    START.date().replace(month=5),
                ),
                None,
            )
            for i in range(15)
        ]
        for p in range(4)
    ]
    outcomes = _race(engine, per_process)
    assert [kind for kind, _, _ in outcomes] == ["ok"] * 60, [o for o in outcomes if o[0] != "ok"]
    with engine.connect() as conn:
        assert replay(iter_events(conn)).ok
