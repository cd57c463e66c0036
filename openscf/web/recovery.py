"""The dashboard's "when trade goes wrong" panel, on every role page: pieces paid in part
(paid against still outstanding), default claims with what each holder lacked, what
recoveries brought and, once closed, the loss (and loss given default per program)."""

from __future__ import annotations

from typing import Any

from openscf.app.auth import Principal
from openscf.app.queries import ReadModel
from openscf.app.recovery import ClaimReads
from openscf.domain.model import Receivable
from openscf.web import views

__all__ = ["recovery_view"]


def _mine(piece: Receivable, who: Principal, role: str) -> bool:
    if role == "auditor":
        return True
    if role == "anchor":
        return piece.obligor_id == who.org_id
    return piece.holder_id == who.org_id


def recovery_view(reads: ReadModel, who: Principal, role: str) -> dict[str, Any]:
    """Partly paid pieces of the page's role (owed as anchor, held as supplier or funder,
    all for the auditor and operator), and the default claims the caller may see."""
    partly = sorted(
        (
            p
            for p in views._outstanding(reads, who)
            if p.paid_minor > 0 and p.claim_id is None and _mine(p, who, role)
        ),
        key=lambda p: (p.due_on, p.id),
    )
    claims = [v.to_dict() for v in ClaimReads(reads).claims(who)]
    if role != "auditor":
        # A page shows the claims of its role: the anchor its own, holders theirs.
        claims = [cl for cl in claims if role != "anchor" or cl["obligor_id"] == who.org_id]
    return {"partly_paid": partly, "claims": claims}
