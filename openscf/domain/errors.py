"""The error categories the domain raises, from the one tree in `openscf.errors`.

The tree (every class, whose fault each is, its HTTP status) is drawn once, in the
docstring of `openscf.errors`; the table that maps it to HTTP lives there too. The domain
only raises the caller-side categories re-exported here: every refusal by the rules is
the caller's to correct.
"""

from __future__ import annotations

from openscf.errors import (
    ConcurrencyConflict,
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    OpenSCFError,
    PermissionDenied,
)

__all__ = [
    "ConcurrencyConflict",
    "Conflict",
    "InvalidRequest",
    "LimitExceeded",
    "NotFound",
    "OpenSCFError",
    "PermissionDenied",
]
