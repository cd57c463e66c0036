"""Client-chosen ids in an organisation's namespace, for tests: ``tag(s1, "rcv_a")``."""

from __future__ import annotations

from typing import Any

from openscf.domain.ids import tagged_id

__all__ = ["tag"]


def tag(org: Any, name: str) -> str:
    """`name` (``rcv_a``) as the id the organisation `org` (an id, or anything with an
    ``org_id``) chooses for it: ``rcv_<org body>.a``."""
    org_id = org if isinstance(org, str) else org.org_id
    prefix, free = name.split("_", 1)
    return tagged_id(prefix, org_id, free)
