"""`openscf serve --workers N`: several processes on one PostgreSQL database share one log.

Each append takes the log head's row lock in its transaction (`UPDATE log_head ...
RETURNING`, openscf.store.log_writer), so the workers' sequence numbers are dense, in
commit order and never repeated, and the tree never forks; the auditor's replay checks
all of it. A revocation answered by one worker is refused by every other one at once
(every request checks its key in the database). On SQLite more than one worker is refused
with one line.

The PostgreSQL tests need OPENSCF_TEST_DATABASE_URL: without it they are skipped, saying
so; with it set but the server unreachable they fail (as every PostgreSQL variant does).
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ..conftest import PG_URL, reset_postgres
from .harness import (
    OPENSCF,
    Client,
    Server,
    acknowledged_events,
    audit_findings,
    build_world,
    logged_event_ids,
    master_key_env,
)

WORKERS = 4
CLIENTS = 8
CYCLES = 12


@pytest.fixture
def pg_url() -> str:
    if not PG_URL:
        pytest.skip(
            "PostgreSQL: set OPENSCF_TEST_DATABASE_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run the multi-worker tests"
        )
    reset_postgres(PG_URL)  # fails, not skips, when the server does not answer
    return PG_URL


@pytest.mark.postgres
def test_four_workers_under_concurrent_load_share_one_log_without_forks_or_duplicates(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = master_key_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    world = build_world(pg_url, clients=CLIENTS)
    server = Server(pg_url, env, workers=WORKERS)
    try:
        clients = [Client(i, server.base, world, cycles=CYCLES) for i in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(600)
        assert not any(client.is_alive() for client in clients)
    finally:
        server.stop()
    problems = [p for cl in clients for p in cl.outcome.refused + cl.outcome.dropped]
    problems += [p for cl in clients for p in cl.outcome.hung]
    assert problems == [], problems[:5]
    # Each cycle confirms an invoice and splits its receivable: two commands, each
    # acknowledged with the events it logged.
    acks = [events for client in clients for _, events in client.outcome.acknowledged]
    assert len(acks) == CLIENTS * CYCLES * 2 and all(acks)
    acknowledged = acknowledged_events(clients)
    assert len(set(acknowledged)) == len(acknowledged)
    logged = logged_event_ids(pg_url)
    assert len(logged) == len(set(logged)), "an event was logged twice"
    assert logged[world.setup_events :] and set(logged[world.setup_events :]) == set(acknowledged)
    assert audit_findings(pg_url) == []  # dense sequence, one tree, every checkpoint consistent


@pytest.mark.postgres
def test_a_key_revoked_through_one_worker_is_refused_by_every_worker_at_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = master_key_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    world = build_world(pg_url, clients=1)
    _org, user, owner_key = world.suppliers[0]
    server = Server(pg_url, env, workers=WORKERS)

    def get(key: str) -> int:
        # A fresh connection each time: the workers share the listening socket, so
        # concurrent new connections land on different workers.
        with httpx.Client(base_url=server.base, timeout=60) as http:
            return http.get(
                "/v1/receivables", headers={"Authorization": f"Bearer {key}"}
            ).status_code

    try:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            made = http.post(
                "/v1/api_keys",
                json={"user_id": user, "name": "soon revoked"},
                headers={"Authorization": f"Bearer {owner_key}"},
            )
        assert made.status_code in (200, 201), made.text
        key_id, secret = made.json()["id"], made.json()["secret"]
        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(get, [secret] * 64)) == {200}  # every worker has served it
        with httpx.Client(base_url=server.base, timeout=60) as http:
            revoked = http.post(
                f"/v1/api_keys/{key_id}/revoke", headers={"Authorization": f"Bearer {owner_key}"}
            )
        assert revoked.status_code == 200, revoked.text
        with ThreadPoolExecutor(16) as pool:
            after = list(pool.map(get, [secret] * 128))
        with ThreadPoolExecutor(16) as pool:
            owner = set(pool.map(get, [owner_key] * 16))
    finally:
        server.stop()
    assert set(after) == {401}, f"{after.count(200)} of {len(after)} requests still served"
    assert owner == {200}


def test_more_than_one_worker_on_sqlite_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(OPENSCF), "serve", "--db", str(tmp_path / "n.db"), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error (workers_need_postgresql):")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "PostgreSQL" in done.stderr


def test_the_worker_option_says_it_needs_postgresql() -> None:
    helped = subprocess.run(
        [str(OPENSCF), "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "--workers" in helped.stdout and "PostgreSQL" in helped.stdout
    assert "--shutdown-timeout" in helped.stdout
