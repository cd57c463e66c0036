"""Graceful shutdown: SIGTERM to `openscf serve` under load. The server stops listening,
answers the requests it accepted and drains the group-commit writer; every command it
acknowledged (2xx) is in the log afterwards, the auditor's replay passes, and no client
is left waiting (each request is answered, or its connection refused or reset, well within
the client's timeout). On SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from .harness import (
    Client,
    Server,
    acknowledged_events,
    audit_findings,
    build_world,
    logged_event_ids,
    master_key_env,
)

CLIENTS = 6
# A request left hanging would reach this; answered or dropped ones end far sooner.
CLIENT_TIMEOUT_SECONDS = 45.0


def test_sigterm_under_load_answers_accepted_requests_and_loses_no_acknowledged_command(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = master_key_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    world = build_world(db_url, clients=CLIENTS)
    server = Server(db_url, env)
    stop = threading.Event()
    clients = [
        Client(i, server.base, world, stop=stop, timeout=CLIENT_TIMEOUT_SECONDS, stop_on_drop=True)
        for i in range(CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        deadline = time.monotonic() + 120
        while len(acknowledged_events(clients)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert acknowledged_events(clients), "no command was acknowledged:\n" + server.log()
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        exit_code = server.process.wait(timeout=60)
        stopped = time.monotonic()
        stop.set()
        for client in clients:
            client.join(CLIENT_TIMEOUT_SECONDS + 15)
    finally:
        stop.set()
        server.stop()
    log = server.log()
    assert exit_code in (0, -signal.SIGTERM), log
    assert not any(client.is_alive() for client in clients), "a client is still waiting"
    hung = [h for client in clients for h in client.outcome.hung]
    assert hung == [], f"requests left without an answer: {hung}"
    errors = [r for client in clients for r in client.outcome.refused]
    assert errors == [], errors  # refused is only ever a real error here
    assert "Waiting for connections to close" in log or "Shutting down" in log, log

    acknowledged = acknowledged_events(clients)
    logged = logged_event_ids(db_url)
    assert len(logged) == len(set(logged))
    missing = set(acknowledged) - set(logged)
    assert not missing, f"{len(missing)} acknowledged events are not in the log"
    assert audit_findings(db_url) == []
    # Requests under way at the signal were answered after it (the server drained them
    # rather than dropping them), and it stopped listening: a new connection is refused.
    answered_after = [
        at for client in clients for at, _ in client.outcome.acknowledged if at > signalled
    ]
    assert answered_after, "no request in flight at SIGTERM was answered after it"
    assert stopped - signalled < 60
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base + "/v1/openapi.json", timeout=5)
