"""Authorization: which role and which user permission each command needs.

The domain separately enforces the rules that hold whoever asks (only the holder moves a
piece, only the obligor settles ...). Here: may this *user* of this *organisation* even
ask? A viewer may ask nothing; maker-checker needs a maker to propose and a different
checker to approve.
"""

from __future__ import annotations

from openscf.domain import commands as c
from openscf.domain.errors import PermissionDenied
from openscf.domain.model import Organisation, User

__all__ = ["POLICY", "authorize"]

ANY_ROLE: tuple[str, ...] = ()

# command type -> (organisation roles, one of which is needed; user permission needed)
POLICY: dict[type[object], tuple[tuple[str, ...], str]] = {
    c.RegisterOrganisation: (("operator",), "admin"),
    c.AddUser: (ANY_ROLE, "admin"),
    c.RegisterKey: (ANY_ROLE, "admin"),
    c.RevokeKey: (ANY_ROLE, "admin"),
    c.RequestBankAccountChange: (ANY_ROLE, "admin"),
    c.ApproveBankAccountChange: (ANY_ROLE, "checker"),
    c.CreateProgram: (("anchor",), "admin"),
    c.AddFunder: (("anchor",), "admin"),
    c.OnboardSupplier: (("anchor",), "admin"),
    c.ConfirmInvoice: (("anchor",), "maker"),
    c.ApproveConfirmation: (("anchor",), "checker"),
    c.SplitReceivable: (ANY_ROLE, "maker"),
    c.TransferReceivable: (ANY_ROLE, "maker"),
    c.RequestFinancing: (ANY_ROLE, "maker"),
    c.OfferFinancing: (("funder",), "maker"),
    c.AcceptFinancingOffer: (ANY_ROLE, "maker"),
    c.WithdrawFinancingRequest: (ANY_ROLE, "maker"),
    c.OfferEarlyPayment: (("anchor",), "maker"),
    c.AcceptEarlyPayment: (ANY_ROLE, "maker"),
    c.SettleReceivable: (("anchor",), "maker"),
    c.MarkOverdue: (("anchor", "operator"), "maker"),
    c.MarkDefaulted: (("anchor", "operator"), "maker"),
    c.CancelReceivable: (("anchor",), "maker"),
    # trade documents and payments
    c.RequestMatchOverride: (("anchor",), "maker"),
    c.ApproveMatchOverride: (("anchor",), "checker"),
    c.ConfirmTradeInvoice: (("anchor",), "maker"),
    c.ReconcilePayment: (("operator",), "maker"),
    # separation of duties and custody
    c.GrantPermission: (ANY_ROLE, "admin"),
    c.ApprovePermissionGrant: (ANY_ROLE, "checker"),
    c.DisableCustody: (ANY_ROLE, "admin"),
    # recourse and dilution
    c.PutBackReceivable: (("funder",), "maker"),
    # Whoever sold a piece to a funder pays what it owes on recourse, whatever its roles.
    c.PayRecourse: (ANY_ROLE, "maker"),
    c.RecordCreditNote: (("anchor",), "maker"),
    c.RaiseDispute: (("anchor",), "maker"),
    c.ResolveDispute: (("anchor", "supplier"), "maker"),
    # when trade goes wrong: partial payment, obligor default and recovery
    c.RecordPayment: (("anchor",), "maker"),
    c.RequestObligorDefault: (("operator",), "maker"),
    c.ApproveObligorDefault: (("operator",), "checker"),
    c.RecordRecovery: (("operator",), "maker"),
    c.CloseDefaultClaim: (("operator",), "maker"),
    # risk decisions on the log (the operator's risk service; the review queue's checkers)
    c.RegisterRiskModel: (("operator",), "admin"),
    c.RecordRiskDecision: (("operator",), "maker"),
    c.RaiseFraudFlag: (("operator",), "maker"),
    c.ClearFraudFlag: (("operator", "anchor"), "checker"),
}


def authorize(user: User | None, org: Organisation | None, command: object) -> None:
    if user is None or org is None:
        raise PermissionDenied("unknown_user", "no such user; check the credentials", "user_id")
    rule = POLICY.get(type(command))
    if rule is None:
        raise PermissionDenied("unknown_command", f"no policy for {type(command).__name__}")
    roles, permission = rule
    if roles and not set(roles) & set(org.roles):
        raise PermissionDenied(
            "role_required",
            f"{type(command).__name__} needs an organisation with role "
            f"{' or '.join(roles)}; {org.id} has {', '.join(org.roles)}",
        )
    if permission not in user.permissions:
        raise PermissionDenied(
            "permission_required",
            f"{type(command).__name__} needs the {permission!r} permission; {user.id} has "
            f"{', '.join(user.permissions) or 'none'}",
        )
    if (
        isinstance(command, c.AddUser)
        and command.org_id != org.id
        and "operator" not in (org.roles)
    ):
        raise PermissionDenied(
            "wrong_organisation", "admins add users to their own organisation", "org_id"
        )
