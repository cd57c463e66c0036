"""The domain: pure rules of supply-chain finance.

Money, ids, errors, organisations, programs, calendars and day counts, and the receivable
life cycle as `decide(state, actor, command, today) -> events` and
`apply(state, record) -> state`; `replay(records)` rebuilds the state from events alone
and checks every invariant.

May import: the standard library, `holidays` (pure data) and `openscf.trust`. Never I/O,
never a clock, never a framework.
"""

from openscf.domain import commands, events, model
from openscf.domain.apply import apply
from openscf.domain.decide import Actor, decide
from openscf.domain.errors import (
    ConcurrencyConflict,
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    OpenSCFError,
    PermissionDenied,
)
from openscf.domain.money import format_amount, format_minor, parse_amount
from openscf.domain.replay import ReplayResult, Violation, replay
from openscf.domain.state import InMemoryState, State

__all__ = [
    "Actor",
    "ConcurrencyConflict",
    "Conflict",
    "InMemoryState",
    "InvalidRequest",
    "LimitExceeded",
    "NotFound",
    "OpenSCFError",
    "PermissionDenied",
    "ReplayResult",
    "State",
    "Violation",
    "apply",
    "commands",
    "decide",
    "events",
    "format_amount",
    "format_minor",
    "model",
    "parse_amount",
    "replay",
]
