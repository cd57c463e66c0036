"""The application layer: use cases.

One function per command (the domain's `decide` rules, run by `NetworkService.handle`),
the authorization policy, maker-checker, idempotency by client-supplied ids, and an
injected clock. Each command runs in one unit of work (one database transaction): load
state, decide (pure domain), append events, project.

May import: `openscf.domain`, `openscf.trust`, `openscf.store`, `openscf.documents`,
`openscf.risk`.
"""

from openscf.app.clock import Clock, FixedClock, IdFactory, SystemClock
from openscf.app.policy import authorize
from openscf.app.service import NetworkService, Outcome

__all__ = [
    "Clock",
    "FixedClock",
    "IdFactory",
    "NetworkService",
    "Outcome",
    "SystemClock",
    "authorize",
]
