"""The group-commit writer's shutdown: `close` runs every queued command and answers its
waiter before the writer stops; a command submitted afterwards is refused."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from openscf.api.writer import GroupCommitter
from openscf.domain import commands as c
from openscf.errors import InternalError

from ..conftest import Net


def confirm(net: Net, number: str) -> c.ConfirmInvoice:
    return c.ConfirmInvoice(
        net.program_id, net.suppliers[0], number, 1_000_00, "EUR", date(2026, 5, 29)
    )


def test_closing_the_writer_answers_every_queued_command_then_refuses_new_ones(net: Net) -> None:
    writer = GroupCommitter(net.svc, max_batch=4)
    gate = threading.Event()
    original = writer._run

    def held_run(batch: Any) -> None:
        gate.wait(30)  # hold the first batch so that the others queue up behind it
        original(batch)

    writer._run = held_run  # type: ignore[method-assign]
    results: dict[int, Any] = {}

    def submit(i: int) -> None:
        try:
            results[i] = writer.submit(net.anchor_user, confirm(net, f"INV-close-{i}"))
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    waited = threading.Event()
    for _ in range(3000):  # the first batch (up to 4) is held, the other eight queue
        if writer.queue_depth() >= 8:
            break
        waited.wait(0.01)
    assert writer.queue_depth() >= 8
    closer = threading.Thread(target=writer.close, args=(30,))
    closer.start()
    gate.set()
    closer.join(30)
    for thread in threads:
        thread.join(30)
    assert not closer.is_alive() and not any(t.is_alive() for t in threads)
    assert sorted(results) == list(range(12))
    errors = [r for r in results.values() if isinstance(r, Exception)]
    assert errors == []
    assert writer.commands == 12
    numbers = {r.created["receivable_id"] for r in results.values()}
    assert len(numbers) == 12

    with pytest.raises(InternalError) as refused:
        writer.submit(net.anchor_user, confirm(net, "INV-too-late"))
    assert refused.value.code == "server_shutting_down"
    assert writer.close(1) is True  # closing twice is harmless
