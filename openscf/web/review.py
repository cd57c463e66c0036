"""The fraud review queue on the anchor's and the operator's dashboards.

An anchor sees the open flags on invoices addressed to it and clears them with a reason
(its checkers only: the domain refuses a maker, and the user who raised a flag); the
operator's page (the auditor page, for an organisation with the operator role) shows
every open flag with the same button; an auditor sees the queue without buttons. Recently
cleared flags are listed with who cleared them and why. Only what the read model lets
the organisation see (`openscf.app.risk_ledger`).
"""

from __future__ import annotations

from typing import Any

from openscf.app import risk_ledger as rl
from openscf.app.auth import Principal
from openscf.app.queries import ReadModel

__all__ = ["review_view"]

SHOWN = 50


def review_view(reads: ReadModel, who: Principal, role: str) -> dict[str, Any]:
    """The queue of the page's role: None on pages that have none."""
    if role not in ("anchor", "auditor"):
        return {"shown": False}
    open_flags = rl.fraud_flags(reads, who, status="open", limit=SHOWN).data
    cleared = rl.fraud_flags(reads, who, status="cleared", limit=SHOWN).data
    if role == "anchor":
        # The anchor's page shows the invoices addressed to it (as a supplier elsewhere, a
        # flag on its own invoice is not its to review).
        open_flags = [f for f in open_flags if f.anchor_id == who.org_id]
        cleared = [f for f in cleared if f.anchor_id == who.org_id]
        action = "clear_fraud_flag"
    else:
        action = "operator_clear_fraud_flag"
    may_clear = role == "anchor" or who.has_role("operator")
    return {
        "shown": True,
        "open": open_flags,
        "cleared": sorted(cleared, key=lambda f: (f.cleared_on or f.raised_on, f.id))[-10:],
        "may_clear": may_clear,
        "action": f"/{role}/actions/{action}",
        "action_name": action,
    }
