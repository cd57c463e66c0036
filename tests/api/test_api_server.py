"""`openscf serve` as a process, and the server's clock."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from openscf.api.server import ShiftedClock

OPENSCF = Path(sys.executable).with_name("openscf")


def test_the_shifted_clock_starts_where_told_and_runs_forward() -> None:
    start = datetime(2027, 3, 5, 10, tzinfo=UTC)
    clock = ShiftedClock(start)
    first = clock.now()
    assert start <= first < datetime(2027, 3, 5, 10, 0, 5, tzinfo=UTC)
    assert clock.now() >= first
    with pytest.raises(ValueError, match="time zone"):
        ShiftedClock(datetime(2027, 3, 5, 10))


def test_serve_on_an_empty_database_bootstraps_the_operator_and_answers(tmp_path: Path) -> None:
    if not OPENSCF.exists():
        pytest.skip(f"the openscf console script is not installed next to {sys.executable}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(OPENSCF),
                "serve",
                "--db",
                str(tmp_path / "new.db"),
                "--port",
                str(port),
                "--no-access-log",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        key = None
        while time.monotonic() < deadline and key is None:
            found = re.search(r"sk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", log.read_text())
            key = found.group(0) if found else None
            time.sleep(0.2)
        assert key, log.read_text()
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                me = httpx.get(
                    f"{base}/v1/sessions/current",
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=2,
                )
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert me.status_code == 200, me.text
        assert me.json()["roles"] == ["operator"]
        anonymous = httpx.get(f"{base}/v1/receivables", timeout=2)
        assert anonymous.status_code == 401
        assert (
            key
            not in httpx.get(
                f"{base}/v1/api_keys", timeout=2, headers={"Authorization": f"Bearer {key}"}
            ).text
        )
    finally:
        process.terminate()
        process.wait(timeout=20)


# The server's deadlines below are one second. A connection it cuts off closes well within
# this bound even on a loaded machine; one it held open would reach the client's own limit
# (6 s). The bound tells "closed by the server" from "held", not how fast the server is.
CLOSED_WITHIN_SECONDS = 5.0


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`openscf serve` with one-second header and body deadlines."""
    if not OPENSCF.exists():
        pytest.skip(f"the openscf console script is not installed next to {sys.executable}")
    tmp = tmp_path_factory.mktemp("impatient")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OPENSCF_BODY_TIMEOUT_SECONDS": "1", "OPENSCF_HEADER_TIMEOUT_SECONDS": "1"}
    env.pop("OPENSCF_DATABASE_URL", None)
    with (tmp / "serve.log").open("w") as out:
        process = subprocess.Popen(
            [
                str(OPENSCF),
                "serve",
                "--db",
                str(tmp / "new.db"),
                "--port",
                str(port),
                "--no-access-log",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp / "serve.log").read_text()
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=20)


def _trickle(
    address: tuple[str, int], head: bytes, drip: bytes, seconds: float = 6.0
) -> tuple[bytes, float]:
    """Send `head`, then `drip` one byte every 0.1 s until the server closes the
    connection or `seconds` pass; what the server sent, and when it closed (in seconds
    after the last byte of `head`; `seconds` if it never did)."""
    received = b""
    with socket.create_connection(address, timeout=seconds) as conn:
        conn.sendall(head)
        start = time.monotonic()
        conn.setblocking(False)
        for byte in drip * 1000:
            if time.monotonic() - start > seconds:
                return received, seconds
            try:
                chunk = conn.recv(65536)
                if chunk == b"":
                    return received, time.monotonic() - start
                received += chunk
            except BlockingIOError:
                pass
            except ConnectionResetError:
                return received, time.monotonic() - start
            try:
                conn.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                return received, time.monotonic() - start
            time.sleep(0.1)
    return received, seconds


def test_a_body_sent_slowly_is_cut_off_with_a_408(impatient_server: tuple[str, int]) -> None:
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    )
    received, closed_after = _trickle(impatient_server, head, b" ")
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b'"body_timeout"' in received
    assert closed_after < CLOSED_WITHIN_SECONDS, f"the connection stayed open {closed_after:.1f} s"


def test_headers_sent_slowly_are_cut_off(impatient_server: tuple[str, int]) -> None:
    received, closed_after = _trickle(
        impatient_server, b"GET /v1/openapi.json HTTP/1.1\r\nX-Slow: ", b"a"
    )
    assert received == b""
    assert closed_after < CLOSED_WITHIN_SECONDS, f"the connection stayed open {closed_after:.1f} s"


def test_a_prompt_request_is_answered_and_an_idle_connection_then_closed(
    impatient_server: tuple[str, int],
) -> None:
    body = b'{"login": "nobody", "password": "wrong"}'
    request = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    with socket.create_connection(impatient_server, timeout=6) as conn:
        conn.sendall(request)
        # The clock starts when the answer arrives: the password check before it is slow
        # on purpose (scrypt), and what is tested is how long the idle connection is kept.
        received = conn.recv(65536)
        start = time.monotonic()
        while chunk := conn.recv(65536):
            received += chunk
        closed_after = time.monotonic() - start
    assert received.startswith(b"HTTP/1.1 401 "), received[:200]
    assert closed_after < CLOSED_WITHIN_SECONDS, (
        f"the idle connection stayed open {closed_after:.1f} s"
    )
