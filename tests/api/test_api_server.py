"""`openscf serve` as a process, and the server's clock."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
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


def test_serve_on_an_empty_database_bootstraps_the_operator_and_answers(
        tmp_path: Path) -> None:
    if not OPENSCF.exists():
        pytest.skip(f"the openscf console script is not installed next to {sys.executable}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(OPENSCF), "serve", "--db", str(tmp_path / "new.db"), "--port", str(port),
             "--no-access-log"], stdout=out, stderr=subprocess.STDOUT)
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
                me = httpx.get(f"{base}/v1/sessions/current",
                               headers={"Authorization": f"Bearer {key}"}, timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert me.status_code == 200, me.text
        assert me.json()["roles"] == ["operator"]
        anonymous = httpx.get(f"{base}/v1/receivables", timeout=2)
        assert anonymous.status_code == 401
        assert key not in httpx.get(f"{base}/v1/api_keys", timeout=2,
                                    headers={"Authorization": f"Bearer {key}"}).text
    finally:
        process.terminate()
        process.wait(timeout=20)
