"""Group commit: one writer thread runs the commands of concurrent requests together.

Request threads hand their command to the writer and wait. The writer takes whatever has
queued up (up to `max_batch`) and runs it with `NetworkService.handle_many`: one
transaction, each command seeing the ones before it, a refused command leaving no trace
and getting its own error. Under load the cost of a commit (and of signing the log's
checkpoint) is shared by the batch; with one request at a time, a batch is one command.

A command with an explicit Idempotency-Key runs on its own (`handle`), still on the
writer thread. If a whole batch fails (a lost race that outlived the retries, the same
id twice in one batch, a bug), its commands are run again one by one, so one bad
request only ever fails itself.

Shutting down (`close`, from the app's lifespan on SIGTERM, after the server has answered
the requests it accepted): no command is taken any more, the writer runs what is queued,
answers every waiter and stops. A command submitted after that is refused with
`server_shutting_down` (the system's; the client retries on another worker).

Why a single writer: SQLite admits one write transaction at a time anyway, and waiting
for its lock inside SQLite's busy handler costs sleeps of up to 100 ms; on PostgreSQL
the batch still saves a round trip and a commit per command.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from openscf.app.service import NetworkService, Outcome
from openscf.domain.errors import OpenSCFError
from openscf.errors import InternalError

__all__ = ["GroupCommitter"]

log = logging.getLogger("openscf.api.writer")


@dataclass
class _Item:
    user_id: str
    command: Any
    idempotency_key: str | None
    future: Future[Outcome] = field(default_factory=Future)


def _shutting_down() -> InternalError:
    """The system's: the server is stopping and takes no more commands; the client
    retries (another worker, or this one once restarted, takes it)."""
    return InternalError(
        "server_shutting_down", "the server is shutting down and took no command; retry shortly"
    )


_STOP = object()  # the last item the writer takes


class GroupCommitter:
    """`on_batch(size)` is told the size of every batch the writer takes (metrics);
    `queue_depth()` and `busy_for()` say whether the writer keeps up (readiness)."""

    def __init__(
        self,
        service: NetworkService,
        *,
        max_batch: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.service = service
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._busy_since: float | None = None
        self._closed = False
        self.batches = 0
        self.commands = 0

    def queue_depth(self) -> int:
        """Commands waiting for the writer (not counting the batch it is running)."""
        return self._queue.qsize()

    def busy_for(self) -> float:
        """Seconds the writer has spent on its current batch (0 when idle); a writer
        whose thread died with commands waiting counts as busy for ever."""
        started = self._busy_since
        if started is not None:
            return time.monotonic() - started
        thread = self._thread
        if self._queue.qsize() and (thread is None or not thread.is_alive()):
            return float("inf") if thread is not None else 0.0
        return 0.0

    def submit(
        self,
        user_id: str,
        command: Any,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Run one command (in some batch) and return its outcome or raise its error."""
        item = _Item(user_id, command, idempotency_key)
        with self._start:  # never queued behind the stop mark
            if self._closed:
                raise _shutting_down()
            self._ensure_thread()
            self._queue.put(item)
        return item.future.result()

    def close(self, timeout: float | None = None) -> bool:
        """Take no more commands, run every queued one and answer its waiter, stop the
        writer thread. True when the writer finished within `timeout` seconds."""
        with self._start:
            self._closed = True
            thread = self._thread
            if thread is None or not thread.is_alive():
                return True
            self._queue.put(_STOP)
        thread.join(timeout)
        stopped = not thread.is_alive()
        if stopped:
            log.info("writer stopped")
        else:
            log.warning("writer still running after %s s", timeout)
        return stopped

    def _ensure_thread(self) -> None:
        """Start the writer thread if it is not running (the caller holds `_start`)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="openscf-writer", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Item] = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:  # nothing is queued after it: run this batch, then stop
                    stopping = True
                    break
                batch.append(item)
            self._busy_since = time.monotonic()
            try:
                if self.on_batch is not None:
                    self.on_batch(len(batch))
                self._run(batch)
            except BaseException as exc:  # pragma: no cover - never leave a waiter hanging
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
            finally:
                self._busy_since = None

    def _run(self, batch: list[_Item]) -> None:
        self.batches += 1
        self.commands += len(batch)
        plain = [item for item in batch if item.idempotency_key is None]
        keyed = [item for item in batch if item.idempotency_key is not None]
        if len(plain) == 1:
            keyed.insert(0, plain.pop())
        if plain:
            try:
                results = self.service.handle_many([(i.user_id, i.command) for i in plain])
            except Exception:
                keyed = plain + keyed
            else:
                for item, result in zip(plain, results, strict=True):
                    if isinstance(result, OpenSCFError):
                        item.future.set_exception(result)
                    else:
                        item.future.set_result(result)
        for item in keyed:
            try:
                item.future.set_result(
                    self.service.handle(
                        item.user_id, item.command, idempotency_key=item.idempotency_key
                    )
                )
            except Exception as exc:
                item.future.set_exception(exc)
