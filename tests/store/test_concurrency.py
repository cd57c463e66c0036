"""Two processes racing to move the same piece: exactly one wins, the other gets a conflict.

Real concurrent connections from separate OS processes, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

from sqlalchemy import Engine

from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.replay import replay
from openscf.store import make_engine
from openscf.store.queries import iter_events, stored_receivables

from ..conftest import START, Net


def _race(url: str, user: str, command: Any, barrier: Any, results: Any) -> None:
    from openscf.app import FixedClock, NetworkService

    engine = make_engine(url)
    svc = NetworkService(engine, FixedClock(START))
    engine.connect().close()  # connect before the start line, race only the command
    barrier.wait()
    try:
        out = svc.handle(user, command)
        results.put(("ok", out.created.get("new_receivable_id") or out.created.get("piece_ids")))
    except OpenSCFError as exc:
        results.put(("refused", exc.code))
    except Exception as exc:  # pragma: no cover - reported as a failure below
        results.put(("crashed", repr(exc)))
    finally:
        engine.dispose()


def _run_race(url: str, jobs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    # fork: the worker is a test function, which a spawned interpreter could not import.
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(url, user, cmd, barrier, results)) for user, cmd in jobs
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return out


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_two_processes_moving_the_same_piece_one_wins_one_is_refused(
    net: Net, engine: Engine
) -> None:
    rid = net.confirm()
    holder = net.supplier_users[0]
    outcomes = _run_race(
        _url(engine),
        [
            (holder, c.TransferReceivable(rid, net.suppliers[1])),
            (holder, c.TransferReceivable(rid, net.suppliers[2])),
        ],
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["ok", "refused"], outcomes
    refused = next(detail for kind, detail in outcomes if kind == "refused")
    assert refused == "receivable_consumed"  # the lost race is retried, never returned
    with engine.connect() as conn:
        pieces = list(stored_receivables(conn))
        assert len([p for p in pieces if p.parent_id == rid]) == 1  # one new piece, not two
        assert replay(iter_events(conn)).ok


def test_a_split_and_a_transfer_racing_on_one_piece_never_both_apply(
    net: Net, engine: Engine
) -> None:
    rid = net.confirm()
    holder = net.supplier_users[0]
    outcomes = _run_race(
        _url(engine),
        [
            (holder, c.SplitReceivable(rid, (50_000_00, 50_000_00))),
            (holder, c.TransferReceivable(rid, net.suppliers[1])),
            (holder, c.RequestFinancing(rid)),
        ],
    )
    assert sorted(kind for kind, _ in outcomes).count("ok") == 1, outcomes
    with engine.connect() as conn:
        assert replay(iter_events(conn)).ok
