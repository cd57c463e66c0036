"""One error hierarchy for the whole platform.

Every error carries a stable snake_case ``code`` (what programs match on), a ``message``
a person can act on, and the offending ``param`` when there is one. Only the HTTP adapter
maps them to status codes; the CLI prints them; nothing else needs to know.

    OpenSCFError
    ├── InvalidRequest        the input itself is wrong (bad amount, bad date, bad id ...)
    ├── NotFound              an id that names nothing
    ├── PermissionDenied      the actor may not do this (role, permission, not the holder)
    ├── Conflict              the state forbids it now (consumed piece, reused id, race)
    │   └── ConcurrencyConflict   another transaction changed the same record first
    └── LimitExceeded         a program, supplier or funder limit would be passed
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyConflict",
    "Conflict",
    "InvalidRequest",
    "LimitExceeded",
    "NotFound",
    "OpenSCFError",
    "PermissionDenied",
]


class OpenSCFError(Exception):
    """Base of every error the platform reports to a user."""

    type = "api_error"

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param

    def to_dict(self) -> dict[str, str | None]:
        return {"type": self.type, "code": self.code, "message": self.message, "param": self.param}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidRequest(OpenSCFError):
    type = "invalid_request_error"


class NotFound(OpenSCFError):
    type = "not_found_error"


class PermissionDenied(OpenSCFError):
    type = "permission_error"


class Conflict(OpenSCFError):
    type = "conflict_error"


class ConcurrencyConflict(Conflict):
    """Another transaction changed a record this one read. The app retries once or twice."""

    def __init__(self, message: str = "the record was changed by another request; retry") -> None:
        super().__init__("concurrent_modification", message)


class LimitExceeded(OpenSCFError):
    type = "limit_error"
