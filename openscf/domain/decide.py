"""decide(state, actor, command, today) -> events: every business rule of the network.

Pure: reads the state through `State`, never writes it, never reads a clock. A rejected
command raises an `OpenSCFError` with a stable code and changes nothing. Ids of created
objects must already be filled in (the app does it).

Who may issue which command against which object is decided here, so that the auditor's
replay rejects a history with a forbidden act: the acting user must belong to the acting
organisation and hold the permission the command needs (`USER_PERMISSION`), and the
organisation must stand in the right relation to every object the command names (only
the holder moves a piece, only the obligor confirms, settles and cancels, the obligor or
the operator marks overdue and defaulted, ...; docs/permissions.md has the whole table).
Limits and the maximum tenor hold, a piece moves once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import singledispatch

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.calendar import (
    DAY_COUNT_BASIS,
    check_calendar,
    check_day_count,
    modified_following,
)
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    PermissionDenied,
)
from openscf.domain.ids import check_id, check_new_id
from openscf.domain.model import (
    APPROVAL_PERMISSIONS,
    ONBOARDING_APPROVERS,
    OUTSTANDING,
    PERMISSIONS,
    ROLES,
    Approval,
    Organisation,
    Program,
    Receivable,
    exposure_key,
)
from openscf.domain.money import check_amount, check_currency, format_amount
from openscf.domain.pricing import discount_minor, parse_rate
from openscf.domain.state import State
from openscf.domain.validation import check_bic, check_iban, check_name
from openscf.trust.errors import TrustError
from openscf.trust.keys import decode_public_key

__all__ = ["USER_PERMISSION", "Actor", "decide", "id_namespace"]

MAX_TENOR_DAYS_ALLOWED = 3650


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a user of an organisation."""

    org_id: str
    user_id: str


# The permission the acting user needs for each command (the app's policy asks the same,
# and adds which organisation roles may ask at all).
USER_PERMISSION: dict[type[object], str] = {
    c.RegisterOrganisation: "admin",
    c.AddUser: "admin",
    c.RegisterKey: "admin",
    c.RevokeKey: "admin",
    c.RequestBankAccountChange: "admin",
    c.ApproveBankAccountChange: "checker",
    c.CreateProgram: "admin",
    c.AddFunder: "admin",
    c.OnboardSupplier: "admin",
    c.ConfirmInvoice: "maker",
    c.ApproveConfirmation: "checker",
    c.SplitReceivable: "maker",
    c.TransferReceivable: "maker",
    c.RequestFinancing: "maker",
    c.OfferFinancing: "maker",
    c.AcceptFinancingOffer: "maker",
    c.WithdrawFinancingRequest: "maker",
    c.OfferEarlyPayment: "maker",
    c.AcceptEarlyPayment: "maker",
    c.SettleReceivable: "maker",
    c.MarkOverdue: "maker",
    c.MarkDefaulted: "maker",
    c.CancelReceivable: "maker",
    c.RequestMatchOverride: "maker",
    c.ApproveMatchOverride: "checker",
    c.ConfirmTradeInvoice: "maker",
    c.ReconcilePayment: "maker",
    c.GrantPermission: "admin",
    c.ApprovePermissionGrant: "checker",
    c.DisableCustody: "admin",
    # recourse and dilution
    c.PutBackReceivable: "maker",
    c.PayRecourse: "maker",
    c.RecordCreditNote: "maker",
    c.RaiseDispute: "maker",
    c.ResolveDispute: "maker",
    # risk decisions on the log
    c.RegisterRiskModel: "admin",
    c.RecordRiskDecision: "maker",
    c.RaiseFraudFlag: "maker",
    c.ClearFraudFlag: "checker",
}


def decide(state: State, actor: Actor, command: c.Command, today: date) -> list[ev.Event]:
    _user_may(state, actor, command)
    return _decide(command, state, actor, today)


def id_namespace(command: object, org_id: str) -> str:
    """The organisation in whose namespace the ids `command` creates live, when `org_id`
    issues it: its own, except where the operator acts for another organisation (registers
    it, adds its users or keys); those commands name it, and `decide` checks first that
    the issuer may act for it."""
    if isinstance(command, c.RegisterOrganisation | c.RegisterKey | c.AddUser) and (
        command.org_id is not None
    ):
        return command.org_id
    return org_id


# --- who may act: the user's permission, the organisation's relation to an object -----


def _user_may(state: State, actor: Actor, command: object) -> None:
    user = state.user(actor.user_id)
    if user is None or user.org_id != actor.org_id:
        raise PermissionDenied(
            "unknown_user", f"{actor.user_id!r} is not a user of {actor.org_id!r}", "user_id"
        )
    needed = USER_PERMISSION.get(type(command))
    if needed is not None and needed not in user.permissions:
        raise PermissionDenied(
            "permission_required",
            f"{type(command).__name__} needs the {needed!r} permission; {user.id} has "
            f"{', '.join(user.permissions) or 'none'}",
            "user_id",
        )


def _is_operator(state: State, actor: Actor) -> bool:
    acting = state.organisation(actor.org_id)
    return acting is not None and "operator" in acting.roles


def _operator_only(state: State, actor: Actor, what: str) -> None:
    if not _is_operator(state, actor):
        raise PermissionDenied("not_operator", f"only the network operator {what}", "org_id")


def _own_org_or_operator(state: State, actor: Actor, org_id: str, what: str) -> None:
    if actor.org_id != org_id and not _is_operator(state, actor):
        raise PermissionDenied(
            "wrong_organisation", f"an organisation {what} (or the operator does)", "org_id"
        )


def _obligor_or_operator(state: State, piece: Receivable, actor: Actor, what: str) -> None:
    if piece.obligor_id != actor.org_id and not _is_operator(state, actor):
        raise PermissionDenied(
            "not_obligor",
            f"only the obligor of {piece.id} (or the operator) can {what} it",
            "receivable_id",
        )


# --- lookups that fail with NotFound --------------------------------------------------


def _org(state: State, org_id: str, param: str) -> Organisation:
    org = state.organisation(org_id)
    if org is None:
        raise NotFound("unknown_organisation", f"no organisation {org_id!r}", param)
    return org


def _program(state: State, program_id: str) -> Program:
    program = state.program(program_id)
    if program is None:
        raise NotFound("unknown_program", f"no program {program_id!r}", "program_id")
    return program


def _piece(state: State, receivable_id: str) -> Receivable:
    piece = state.receivable(receivable_id)
    if piece is None:
        raise NotFound("unknown_receivable", f"no receivable {receivable_id!r}", "receivable_id")
    return piece


def _new_id(
    state: State,
    actor: Actor,
    prefix: str,
    value: str | None,
    param: str,
    org_id: str | None = None,
) -> str:
    """A new object's id, in `org_id`'s namespace (or minted by the network).

    The namespace is checked before the lookup, so an organisation only ever learns
    whether an id of its own namespace is used (docs/permissions.md, "Client-supplied ids").
    """
    assert value is not None, f"the app fills {param} before deciding"
    # Only the operator creates in another organisation's namespace (registering it, adding
    # its users and keys), and each such command checks who acts before it asks for an id.
    org_id = org_id or actor.org_id
    assert org_id == actor.org_id or _is_operator(state, actor), (org_id, actor)
    check_new_id(prefix, value, param, org_id)
    if state.id_taken(prefix, value):
        # The same answer whoever's object holds the id, saying nothing of what it names.
        raise Conflict(
            "id_in_use",
            f"{value!r} cannot be used; choose another id, or leave "
            f"{param} out and the network picks one",
            param,
        )
    return value


# --- shared rules for moving a piece -------------------------------------------------


def _movable(piece: Receivable, actor: Actor, today: date) -> None:
    """Only the holder moves a live, unencumbered piece, and only before maturity."""
    if piece.status in ("split", "transferred"):
        raise Conflict(
            "receivable_consumed",
            f"{piece.id} was already {piece.status}; act on the pieces that replaced it",
            "receivable_id",
        )
    if piece.status != "live":
        raise Conflict("receivable_not_live", f"{piece.id} is {piece.status}", "receivable_id")
    if piece.holder_id != actor.org_id:
        raise PermissionDenied(
            "not_holder", f"only the holder of {piece.id} can move it", "receivable_id"
        )
    if piece.encumbrance is not None:
        raise Conflict(
            "receivable_encumbered",
            f"{piece.id} has an open financing request {piece.encumbrance}; withdraw it first",
            "receivable_id",
        )
    if today >= piece.due_on:
        raise Conflict(
            "receivable_matured", f"{piece.id} matured on {piece.due_on}", "receivable_id"
        )


def _limit(
    state: State, key: str, limit_minor: int, add_minor: int, code: str, what: str, currency: str
) -> None:
    used = state.exposure(key)
    if used + add_minor > limit_minor:

        def m(amount_minor: int) -> str:
            return format_amount(amount_minor, currency)

        raise LimitExceeded(
            code,
            f"{what} limit is {m(limit_minor)}; {m(used)} used, {m(add_minor)} more "
            f"would pass it by {m(used + add_minor - limit_minor)}",
            "amount_minor",
        )


def _obligor_only(piece: Receivable, actor: Actor, what: str) -> None:
    if piece.obligor_id != actor.org_id:
        raise PermissionDenied(
            "not_obligor", f"only the obligor of {piece.id} can {what} it", "receivable_id"
        )


@singledispatch
def _decide(command: object, state: State, actor: Actor, today: date) -> list[ev.Event]:
    raise InvalidRequest("unknown_command", f"unknown command {type(command).__name__}")


# --- organisations and users -----------------------------------------------------------


@_decide.register
def _(cmd: c.RegisterOrganisation, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "registers organisations")
    org_id = _new_id(state, actor, "org", cmd.org_id, "org_id")
    name = check_name(cmd.name, "an organisation")
    if not cmd.roles or any(role not in ROLES for role in cmd.roles):
        raise InvalidRequest("invalid_role", f"roles must be among {', '.join(ROLES)}", "roles")
    if len(cmd.country) != 2 or not cmd.country.isalpha() or not cmd.country.isupper():
        raise InvalidRequest("invalid_country", "country is an ISO 3166 alpha-2 code", "country")
    if (cmd.iban is None) != (cmd.bic is None):
        raise InvalidRequest(
            "incomplete_bank_account", "give both IBAN and BIC, or neither", "iban"
        )
    iban = None if cmd.iban is None else check_iban(cmd.iban)
    bic = None if cmd.bic is None else check_bic(cmd.bic)
    roles = tuple(sorted(set(cmd.roles)))
    events: list[ev.Event] = [
        ev.OrganisationRegistered(org_id, name, roles, cmd.country, cmd.lei, iban, bic)
    ]
    if cmd.custodial_key:
        # The operator chooses the key's id in the new organisation's namespace.
        key_id = _new_id(state, actor, "key", cmd.key_id, "key_id", org_id)
        assert cmd.public_key is not None, "the app generates the custodial key"
        events.append(
            ev.KeyRegistered(key_id, org_id, _check_public_key(cmd.public_key), True, None)
        )
    return events


def _check_public_key(text: str) -> str:
    try:
        decode_public_key(text)
    except TrustError:
        raise InvalidRequest(
            "invalid_public_key",
            "a public key is 'ed25519:' followed by the base64 of 32 bytes",
            "public_key",
        ) from None
    return text


def _may_manage_keys(state: State, actor: Actor, org_id: str) -> None:
    _own_org_or_operator(state, actor, org_id, "manages its own keys")
    target = state.organisation(org_id)
    if actor.org_id != org_id and target is not None and target.custody_disabled:
        raise PermissionDenied(
            "custody_disabled", f"{org_id} switched custody off and manages its own keys", "org_id"
        )


@_decide.register
def _(cmd: c.RegisterKey, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _org(state, cmd.org_id, "org_id")
    _may_manage_keys(state, actor, cmd.org_id)
    key_id = _new_id(state, actor, "key", cmd.key_id, "key_id", cmd.org_id)
    if cmd.public_key is None:
        raise InvalidRequest("missing_public_key", "give the public key to register", "public_key")
    public_key = _check_public_key(cmd.public_key)
    if cmd.custodial and _org(state, cmd.org_id, "org_id").custody_disabled:
        raise Conflict(
            "custody_disabled",
            f"{cmd.org_id} switched custody off: register a key it holds itself",
            "custodial",
        )
    if any(k.public_key == public_key for k in state.org_keys(cmd.org_id)):
        raise Conflict(
            "key_already_registered", "this public key is already registered", "public_key"
        )
    if cmd.replaces is not None:
        old = state.org_key(cmd.replaces)
        if old is None or old.org_id != cmd.org_id:
            raise NotFound("unknown_key", f"{cmd.org_id} has no key {cmd.replaces!r}", "replaces")
        if old.rotated_at is not None or old.revoked_at is not None:
            raise Conflict("key_not_active", f"{old.id} is no longer in force", "replaces")
    return [ev.KeyRegistered(key_id, cmd.org_id, public_key, cmd.custodial, cmd.replaces)]


@_decide.register
def _(cmd: c.RevokeKey, state: State, actor: Actor, today: date) -> list[ev.Event]:
    key = state.org_key(cmd.key_id)
    if key is None:
        raise NotFound("unknown_key", f"no key {cmd.key_id!r}", "key_id")
    _may_manage_keys(state, actor, key.org_id)
    if key.revoked_at is not None:
        raise Conflict("key_not_active", f"{key.id} is already revoked", "key_id")
    return [ev.KeyRevoked(key.id, key.org_id, cmd.reason[:200])]


@_decide.register
def _(cmd: c.AddUser, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _own_org_or_operator(state, actor, cmd.org_id, "adds users to itself")
    org = _org(state, cmd.org_id, "org_id")
    user_id = _new_id(state, actor, "usr", cmd.user_id, "user_id", org.id)
    if not cmd.permissions or any(p not in PERMISSIONS for p in cmd.permissions):
        raise InvalidRequest(
            "invalid_permission",
            f"permissions must be among {', '.join(PERMISSIONS)}",
            "permissions",
        )
    name = check_name(cmd.name, "a user")
    if any(p in APPROVAL_PERMISSIONS for p in cmd.permissions) and not (
        _is_operator(state, actor)
        and not org.custody_disabled
        and org.approvers < ONBOARDING_APPROVERS
    ):
        raise PermissionDenied(
            "approval_permission_needs_grant",
            "add the user without 'checker', then ask for it with GrantPermission "
            "(POST /v1/users/{id}/permission_grants); a second, existing checker must "
            "approve it",
            "permissions",
        )
    return [ev.UserAdded(user_id, cmd.org_id, name, tuple(sorted(set(cmd.permissions))))]


@_decide.register
def _(cmd: c.RequestBankAccountChange, state: State, actor: Actor, today: date) -> list[ev.Event]:
    approval_id = _new_id(state, actor, "apr", cmd.approval_id, "approval_id")
    _org(state, cmd.org_id, "org_id")
    if cmd.org_id != actor.org_id:
        raise PermissionDenied(
            "wrong_organisation",
            "only the organisation itself can change its bank account",
            "org_id",
        )
    return [
        ev.BankAccountChangeRequested(
            approval_id, cmd.org_id, actor.user_id, check_iban(cmd.iban), check_bic(cmd.bic)
        )
    ]


def _pending_approval(state: State, approval_id: str, kind: str, actor: Actor) -> dict[str, str]:
    approval = state.approval(approval_id)
    if approval is None or approval.kind != kind:
        raise NotFound(
            "unknown_approval", f"no pending {kind} approval {approval_id!r}", "approval_id"
        )
    if approval.org_id != actor.org_id:
        raise PermissionDenied(
            "wrong_organisation",
            "a checker approves only for their own organisation",
            "approval_id",
        )
    if approval.status != "pending":
        raise Conflict(
            "approval_not_pending", f"{approval_id} is already {approval.status}", "approval_id"
        )
    if approval.maker_id == actor.user_id:
        raise PermissionDenied(
            "same_user_cannot_approve",
            "maker-checker: a second user must approve what the maker asked",
            "approval_id",
        )
    _separate_duties(state, approval, actor)
    payload: dict[str, str] = json.loads(approval.payload_json)
    return payload


def _separate_duties(state: State, approval: Approval, actor: Actor) -> None:
    """The approver holds an approval permission, was neither created nor made an approver
    by the maker, and held the permission when the request was made (docs/security.md,
    "Separation of duties")."""
    approver = state.user(actor.user_id)
    # `decide` refused an approver outside the organisation or without 'checker' before
    # any rule ran (`_user_may`: every Approve* command needs 'checker').
    assert approver is not None and any(p in APPROVAL_PERMISSIONS for p in approver.permissions)
    maker = approval.maker_id
    if maker == approver.created_by or maker in approver.approver_sponsors:
        raise PermissionDenied(
            "approver_sponsored_by_maker",
            f"{maker} created {approver.id} or made it a checker, so "
            f"another checker must approve {maker}'s request",
            "approval_id",
        )
    if (
        approval.requested_at is not None
        and approver.approver_since is not None
        and approval.requested_at < approver.approver_since
    ):
        raise PermissionDenied(
            "approver_newer_than_request",
            f"{approver.id} became a checker after {approval.id} was made; "
            "a checker who held the permission then must approve it",
            "approval_id",
        )


@_decide.register
def _(cmd: c.ApproveBankAccountChange, state: State, actor: Actor, today: date) -> list[ev.Event]:
    payload = _pending_approval(state, cmd.approval_id, "bank_account", actor)
    return [
        ev.BankAccountChanged(
            actor.org_id, payload["iban"], payload["bic"], cmd.approval_id, actor.user_id
        )
    ]


# --- programs ----------------------------------------------------------------------------


@_decide.register
def _(cmd: c.CreateProgram, state: State, actor: Actor, today: date) -> list[ev.Event]:
    program_id = _new_id(state, actor, "prg", cmd.program_id, "program_id")
    anchor = _org(state, actor.org_id, "org_id")
    if "anchor" not in anchor.roles:
        raise PermissionDenied("not_anchor", "only an anchor runs a program", "org_id")
    check_currency(cmd.currency)
    if not 1 <= cmd.max_tenor_days <= MAX_TENOR_DAYS_ALLOWED:
        raise InvalidRequest(
            "invalid_tenor", f"max_tenor_days must be 1..{MAX_TENOR_DAYS_ALLOWED}", "max_tenor_days"
        )
    for name in ("program_limit_minor", "supplier_limit_minor", "funder_limit_minor"):
        check_amount(getattr(cmd, name), name)
    if cmd.approval_threshold_minor < 0:
        raise InvalidRequest(
            "invalid_threshold",
            "the approval threshold cannot be negative",
            "approval_threshold_minor",
        )
    if not 0 <= cmd.default_after_days <= 365:
        raise InvalidRequest(
            "invalid_default_days", "default_after_days must be 0..365", "default_after_days"
        )
    if not cmd.name.strip():
        raise InvalidRequest("missing_name", "a program needs a name", "name")
    terms = recourse.recourse_events(cmd, program_id, actor.org_id)
    return [
        ev.ProgramCreated(
            program_id,
            actor.org_id,
            cmd.name.strip(),
            cmd.currency,
            cmd.max_tenor_days,
            cmd.program_limit_minor,
            cmd.supplier_limit_minor,
            cmd.funder_limit_minor,
            check_day_count(cmd.day_count),
            check_calendar(cmd.calendar),
            cmd.approval_threshold_minor,
            cmd.default_after_days,
        ),
        *terms,
    ]


def _anchor_of(program: Program, actor: Actor) -> None:
    if program.anchor_id != actor.org_id:
        raise PermissionDenied(
            "not_program_anchor", f"only the anchor of {program.id} can do this", "program_id"
        )


@_decide.register
def _(cmd: c.AddFunder, state: State, actor: Actor, today: date) -> list[ev.Event]:
    program = _program(state, cmd.program_id)
    _anchor_of(program, actor)
    funder = _org(state, cmd.funder_id, "funder_id")
    if "funder" not in funder.roles:
        raise InvalidRequest(
            "not_a_funder", f"{funder.id} does not have the funder role", "funder_id"
        )
    if funder.id in program.funder_ids:
        raise Conflict("already_a_funder", f"{funder.id} already funds {program.id}", "funder_id")
    return [ev.FunderAdded(program.id, program.anchor_id, funder.id)]


@_decide.register
def _(cmd: c.OnboardSupplier, state: State, actor: Actor, today: date) -> list[ev.Event]:
    program = _program(state, cmd.program_id)
    _anchor_of(program, actor)
    supplier = _org(state, cmd.supplier_id, "supplier_id")
    if "supplier" not in supplier.roles:
        raise InvalidRequest(
            "not_a_supplier", f"{supplier.id} does not have the supplier role", "supplier_id"
        )
    if supplier.iban is None:
        raise InvalidRequest(
            "bank_account_missing",
            f"{supplier.id} has no verified bank account to be paid into",
            "supplier_id",
        )
    if state.relationship(program.id, supplier.id) is not None:
        raise Conflict(
            "already_onboarded", f"{supplier.id} is already in {program.id}", "supplier_id"
        )
    return [ev.SupplierOnboarded(program.id, program.anchor_id, supplier.id, today)]


# --- confirmation ------------------------------------------------------------------------


def _check_confirmation(
    state: State, actor: Actor, cmd: c.ConfirmInvoice, today: date
) -> tuple[Program, date]:
    program = _program(state, cmd.program_id)
    if program.anchor_id != actor.org_id:
        raise PermissionDenied(
            "not_obligor",
            f"only {program.anchor_id}, the anchor of {program.id}, confirms its invoices",
            "program_id",
        )
    anchor = state.organisation(program.anchor_id)
    if anchor is not None and anchor.default_claim_id is not None:
        raise Conflict(
            "obligor_in_default",
            f"{anchor.id} was declared in default; it confirms nothing more",
            "program_id",
        )
    check_amount(cmd.amount_minor)
    check_currency(cmd.currency)
    if cmd.currency != program.currency:
        raise InvalidRequest(
            "currency_mismatch",
            f"{program.id} runs in {program.currency}, not {cmd.currency}",
            "currency",
        )
    if state.relationship(program.id, cmd.supplier_id) is None:
        raise Conflict(
            "supplier_not_onboarded",
            f"{cmd.supplier_id} is not onboarded into {program.id}",
            "supplier_id",
        )
    number = cmd.invoice_number.strip()
    if not number or len(number) > 64:
        raise InvalidRequest(
            "invalid_invoice_number", "an invoice number is 1-64 characters", "invoice_number"
        )
    if state.invoice_by_number(program.anchor_id, cmd.supplier_id, number) is not None:
        raise Conflict(
            "invoice_already_confirmed",
            f"invoice {number!r} of {cmd.supplier_id} already backs a receivable",
            "invoice_number",
        )
    dilution.check_not_disputed(state, program, cmd.supplier_id, number)
    risk_log.check_not_flagged(state, program.anchor_id, cmd.supplier_id, number)
    if cmd.due_on <= today:
        raise InvalidRequest(
            "due_date_not_future", f"due date {cmd.due_on} is not after {today}", "due_on"
        )
    maturity = modified_following(cmd.due_on, program.calendar)
    tenor_days = (maturity - today).days
    if tenor_days > program.max_tenor_days:
        raise InvalidRequest(
            "tenor_exceeded",
            f"maturity {maturity} is {tenor_days} days away; {program.id} allows "
            f"at most {program.max_tenor_days}",
            "due_on",
        )
    _limit(
        state,
        exposure_key("program", program.id),
        program.program_limit_minor,
        cmd.amount_minor,
        "program_limit_exceeded",
        f"{program.id}'s program",
        program.currency,
    )
    _limit(
        state,
        exposure_key("supplier", program.id, cmd.supplier_id),
        program.supplier_limit_minor,
        cmd.amount_minor,
        "supplier_limit_exceeded",
        f"{cmd.supplier_id}'s supplier",
        program.currency,
    )
    return program, maturity


@_decide.register
def _(cmd: c.ConfirmInvoice, state: State, actor: Actor, today: date) -> list[ev.Event]:
    receivable_id = _new_id(state, actor, "rcv", cmd.receivable_id, "receivable_id")
    invoice_id = _new_id(state, actor, "inv", cmd.invoice_id, "invoice_id")
    program, maturity = _check_confirmation(state, actor, cmd, today)
    number = cmd.invoice_number.strip()
    if cmd.amount_minor > program.approval_threshold_minor:
        approval_id = _new_id(state, actor, "apr", cmd.approval_id, "approval_id")
        return [
            ev.ConfirmationRequested(
                approval_id,
                program.id,
                program.anchor_id,
                cmd.supplier_id,
                actor.user_id,
                invoice_id,
                number,
                receivable_id,
                cmd.amount_minor,
                cmd.currency,
                cmd.due_on,
            )
        ]
    # Credits the anchor holds against the supplier are netted off the face (dilution).
    face, netted = dilution.netted_events(
        state, program, cmd.supplier_id, invoice_id, receivable_id, cmd.amount_minor
    )
    return [
        ev.ReceivableIssued(
            receivable_id,
            program.id,
            program.anchor_id,
            cmd.supplier_id,
            invoice_id,
            number,
            face,
            cmd.currency,
            cmd.due_on,
            maturity,
            actor.user_id,
            None,
            None,
        ),
        *netted,
    ]


@_decide.register
def _(cmd: c.ApproveConfirmation, state: State, actor: Actor, today: date) -> list[ev.Event]:
    p = _pending_approval(state, cmd.approval_id, "confirmation", actor)
    approval = state.approval(cmd.approval_id)
    assert approval is not None
    original = c.ConfirmInvoice(
        program_id=p["program_id"],
        supplier_id=p["supplier_id"],
        invoice_number=p["invoice_number"],
        amount_minor=int(p["amount_minor"]),
        currency=p["currency"],
        due_on=date.fromisoformat(p["due_on"]),
    )
    # Limits, tenor and duplicates are checked again: time has passed since the maker.
    program, maturity = _check_confirmation(state, actor, original, today)
    _new_id(state, actor, "rcv", p["receivable_id"], "receivable_id")
    _new_id(state, actor, "inv", p["invoice_id"], "invoice_id")
    face, netted = dilution.netted_events(
        state,
        program,
        original.supplier_id,
        p["invoice_id"],
        p["receivable_id"],
        original.amount_minor,
    )
    return [
        ev.ReceivableIssued(
            p["receivable_id"],
            program.id,
            program.anchor_id,
            original.supplier_id,
            p["invoice_id"],
            original.invoice_number,
            face,
            original.currency,
            original.due_on,
            maturity,
            approval.maker_id,
            cmd.approval_id,
            actor.user_id,
        ),
        *netted,
    ]


# --- split and transfer ------------------------------------------------------------------


@_decide.register
def _(cmd: c.SplitReceivable, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _movable(piece, actor, today)
    if len(cmd.amounts_minor) < 2:
        raise InvalidRequest("too_few_pieces", "a split needs at least two pieces", "amounts_minor")
    if len(cmd.amounts_minor) > 1000:
        raise InvalidRequest(
            "too_many_pieces", "a split makes at most 1000 pieces", "amounts_minor"
        )
    for amount in cmd.amounts_minor:
        check_amount(amount, "amounts_minor")
    if sum(cmd.amounts_minor) != piece.face_minor:
        raise InvalidRequest(
            "pieces_do_not_sum",
            f"pieces sum to "
            f"{format_amount(sum(cmd.amounts_minor), piece.currency)}, "
            f"the face is {format_amount(piece.face_minor, piece.currency)}",
            "amounts_minor",
        )
    assert cmd.piece_ids is not None
    if len(cmd.piece_ids) != len(cmd.amounts_minor) or len(set(cmd.piece_ids)) != len(
        cmd.piece_ids
    ):
        raise InvalidRequest("invalid_piece_ids", "give one distinct id per piece", "piece_ids")
    for piece_id in cmd.piece_ids:
        _new_id(state, actor, "rcv", piece_id, "piece_ids")
    return [
        ev.ReceivableSplit(
            piece.id, piece.holder_id, piece.obligor_id, cmd.piece_ids, cmd.amounts_minor
        )
    ]


@_decide.register
def _(cmd: c.TransferReceivable, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _movable(piece, actor, today)
    recipient = _org(state, cmd.to_org_id, "to_org_id")
    if recipient.id == piece.holder_id:
        raise InvalidRequest(
            "transfer_to_self", "the recipient already holds the piece", "to_org_id"
        )
    if state.relationship(piece.program_id, recipient.id) is None:
        raise Conflict(
            "recipient_not_onboarded",
            f"{recipient.id} is not onboarded into {piece.program_id}, so it could "
            "not be paid at maturity",
            "to_org_id",
        )
    new_id = _new_id(state, actor, "rcv", cmd.new_receivable_id, "new_receivable_id")
    amount = piece.face_minor if cmd.amount_minor is None else check_amount(cmd.amount_minor)
    if amount > piece.face_minor:
        raise InvalidRequest(
            "amount_exceeds_face",
            f"cannot transfer {format_amount(amount, piece.currency)} of a piece "
            f"whose face is {format_amount(piece.face_minor, piece.currency)}",
            "amount_minor",
        )
    if amount == piece.face_minor:
        return [
            ev.ReceivableTransferred(
                piece.id,
                new_id,
                piece.holder_id,
                recipient.id,
                piece.obligor_id,
                piece.face_minor,
                "transfer",
            )
        ]
    part_id = _new_id(state, actor, "rcv", cmd.part_id, "part_id")
    remainder_id = _new_id(state, actor, "rcv", cmd.remainder_id, "remainder_id")
    if len({part_id, remainder_id, new_id}) != 3:
        raise InvalidRequest("invalid_piece_ids", "the three new piece ids must differ", "part_id")
    return [
        ev.ReceivableSplit(
            piece.id,
            piece.holder_id,
            piece.obligor_id,
            (part_id, remainder_id),
            (amount, piece.face_minor - amount),
        ),
        ev.ReceivableTransferred(
            part_id, new_id, piece.holder_id, recipient.id, piece.obligor_id, amount, "transfer"
        ),
    ]


# --- financing -------------------------------------------------------------------------


@_decide.register
def _(cmd: c.RequestFinancing, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _movable(piece, actor, today)
    risk_log.check_piece_not_flagged(state, piece, "receivable_id")
    program = _program(state, piece.program_id)
    if not program.funder_ids:
        raise Conflict("no_funders", f"{program.id} has no funders yet", "receivable_id")
    request_id = _new_id(state, actor, "fin", cmd.request_id, "request_id")
    return [ev.FinancingRequested(request_id, program.id, piece.id, piece.holder_id)]


def _open_request(state: State, request_id: str) -> tuple[c.RequestFinancing, Receivable]:
    request = state.financing_request(request_id)
    if request is None:
        raise NotFound(
            "unknown_financing_request", f"no financing request {request_id!r}", "request_id"
        )
    if request.status != "open":
        raise Conflict("request_not_open", f"{request_id} is {request.status}", "request_id")
    piece = _piece(state, request.receivable_id)
    return c.RequestFinancing(request.receivable_id, request.id), piece


@_decide.register
def _(cmd: c.OfferFinancing, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _, piece = _open_request(state, cmd.request_id)
    program = _program(state, piece.program_id)
    if actor.org_id not in program.funder_ids:
        raise PermissionDenied(
            "not_program_funder", f"{actor.org_id} does not fund {program.id}", "request_id"
        )
    risk_log.check_piece_not_flagged(state, piece, "request_id")
    offer_id = _new_id(state, actor, "ofr", cmd.offer_id, "offer_id")
    rate = parse_rate(cmd.annual_rate)
    if cmd.fees_minor < 0:
        raise InvalidRequest("invalid_fees", "fees cannot be negative", "fees_minor")
    if not today <= cmd.value_date < piece.due_on:
        raise InvalidRequest(
            "invalid_value_date",
            f"the value date must be from {today} to before maturity {piece.due_on}",
            "value_date",
        )
    days = (piece.due_on - cmd.value_date).days
    discount = discount_minor(piece.face_minor, rate, days, DAY_COUNT_BASIS[program.day_count])
    proceeds = piece.face_minor - discount - cmd.fees_minor
    if proceeds <= 0:
        raise InvalidRequest(
            "proceeds_not_positive",
            f"discount {format_amount(discount, piece.currency)} and fees "
            f"{format_amount(cmd.fees_minor, piece.currency)} leave nothing of "
            f"face {format_amount(piece.face_minor, piece.currency)}",
            "annual_rate",
        )
    _limit(
        state,
        exposure_key("funder", program.id, actor.org_id),
        program.funder_limit_minor,
        piece.face_minor,
        "funder_limit_exceeded",
        f"{actor.org_id}'s funder",
        piece.currency,
    )
    return [
        ev.FinancingOffered(
            offer_id,
            cmd.request_id,
            piece.id,
            piece.holder_id,
            actor.org_id,
            str(rate),
            cmd.fees_minor,
            cmd.value_date,
            days,
            discount,
            proceeds,
        )
    ]


@_decide.register
def _(cmd: c.AcceptFinancingOffer, state: State, actor: Actor, today: date) -> list[ev.Event]:
    offer = state.financing_offer(cmd.offer_id)
    if offer is None:
        raise NotFound("unknown_offer", f"no financing offer {cmd.offer_id!r}", "offer_id")
    request_cmd, piece = _open_request(state, offer.request_id)
    if piece.holder_id != actor.org_id:
        raise PermissionDenied(
            "not_holder", f"only the holder of {piece.id} accepts offers", "offer_id"
        )
    if piece.status != "live":
        raise Conflict("receivable_not_live", f"{piece.id} is {piece.status}", "offer_id")
    risk_log.check_piece_not_flagged(state, piece, "offer_id")
    if today > offer.value_date:
        raise Conflict(
            "offer_expired", f"the offer's value date {offer.value_date} has passed", "offer_id"
        )
    program = _program(state, piece.program_id)
    _limit(
        state,
        exposure_key("funder", program.id, offer.funder_id),
        program.funder_limit_minor,
        piece.face_minor,
        "funder_limit_exceeded",
        f"{offer.funder_id}'s funder",
        piece.currency,
    )
    new_id = _new_id(state, actor, "rcv", cmd.new_receivable_id, "new_receivable_id")
    assert request_cmd.request_id is not None
    return [
        ev.FinancingOfferAccepted(
            offer.id,
            request_cmd.request_id,
            piece.id,
            piece.holder_id,
            offer.funder_id,
            piece.face_minor,
            offer.proceeds_minor,
        ),
        ev.ReceivableTransferred(
            piece.id,
            new_id,
            piece.holder_id,
            offer.funder_id,
            piece.obligor_id,
            piece.face_minor,
            "financing",
        ),
        *_decline_open_offers(
            state,
            request_cmd.request_id,
            piece,
            # Not which one: a losing bidder learns nothing of the winner.
            "another offer was accepted",
            accepted=offer.id,
        ),
    ]


def _decline_open_offers(
    state: State, request_id: str, piece: Receivable, reason: str, accepted: str | None = None
) -> list[ev.Event]:
    """The losing offers of a request that closes: each one declined, by an event."""
    return [
        ev.FinancingOfferDeclined(o.id, request_id, piece.id, piece.holder_id, o.funder_id, reason)
        for o in state.financing_offers_of(request_id)
        if o.status == "open" and o.id != accepted
    ]


@_decide.register
def _(cmd: c.WithdrawFinancingRequest, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _, piece = _open_request(state, cmd.request_id)
    if piece.holder_id != actor.org_id:
        raise PermissionDenied("not_holder", "only the holder withdraws its request", "request_id")
    return [
        ev.FinancingRequestWithdrawn(
            cmd.request_id, piece.id, piece.holder_id, "withdrawn by the holder"
        ),
        *_decline_open_offers(state, cmd.request_id, piece, "the request was withdrawn"),
    ]


# --- early payment, settlement, overdue, cancellation ---------------------------------


@_decide.register
def _(cmd: c.OfferEarlyPayment, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_only(piece, actor, "pay early")
    if piece.status != "live":
        raise Conflict("receivable_not_live", f"{piece.id} is {piece.status}", "receivable_id")
    if not today <= cmd.value_date < piece.due_on:
        raise InvalidRequest(
            "invalid_value_date",
            f"the value date must be from {today} to before maturity {piece.due_on}",
            "value_date",
        )
    offer_id = _new_id(state, actor, "epo", cmd.offer_id, "offer_id")
    program = _program(state, piece.program_id)
    rate = parse_rate(cmd.annual_rate)
    days = (piece.due_on - cmd.value_date).days
    discount = discount_minor(piece.face_minor, rate, days, DAY_COUNT_BASIS[program.day_count])
    if discount >= piece.face_minor:
        raise InvalidRequest(
            "proceeds_not_positive", "the discount would consume the face", "annual_rate"
        )
    return [
        ev.EarlyPaymentOffered(
            offer_id,
            piece.id,
            piece.obligor_id,
            piece.holder_id,
            str(rate),
            cmd.value_date,
            days,
            discount,
            piece.face_minor - discount,
        )
    ]


@_decide.register
def _(cmd: c.AcceptEarlyPayment, state: State, actor: Actor, today: date) -> list[ev.Event]:
    offer = state.early_payment_offer(cmd.offer_id)
    if offer is None:
        raise NotFound("unknown_offer", f"no early payment offer {cmd.offer_id!r}", "offer_id")
    if offer.status != "open":
        raise Conflict("offer_not_open", f"{offer.id} is {offer.status}", "offer_id")
    piece = _piece(state, offer.receivable_id)
    _movable(piece, actor, today)
    risk_log.check_piece_not_flagged(state, piece, "offer_id")
    if today > offer.value_date:
        raise Conflict(
            "offer_expired", f"the offer's value date {offer.value_date} has passed", "offer_id"
        )
    return [
        ev.ReceivablePaidEarly(
            offer.id,
            piece.id,
            piece.obligor_id,
            piece.holder_id,
            piece.face_minor,
            offer.discount_minor,
            offer.amount_minor,
            offer.value_date,
        )
    ]


@_decide.register
def _(cmd: c.SettleReceivable, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_only(piece, actor, "settle")
    if piece.status not in OUTSTANDING:
        code = (
            "receivable_consumed"
            if piece.status in ("split", "transferred")
            else ("receivable_not_live")
        )
        raise Conflict(code, f"{piece.id} is {piece.status}; nothing to settle", "receivable_id")
    if piece.claim_id is not None:
        raise Conflict(
            "in_default_claim",
            f"{piece.id} belongs to default claim {piece.claim_id}: money for it "
            "is recorded as a recovery on the claim",
            "receivable_id",
        )
    if today < piece.due_on:
        raise Conflict(
            "not_yet_due",
            f"{piece.id} matures on {piece.due_on}; pay early with an offer instead",
            "receivable_id",
        )
    out: list[ev.Event] = []
    if piece.encumbrance is not None:
        out.append(
            ev.FinancingRequestWithdrawn(
                piece.encumbrance,
                piece.id,
                piece.holder_id,
                "the receivable matured and was settled",
            )
        )
        out.extend(
            _decline_open_offers(
                state, piece.encumbrance, piece, "the receivable matured and was settled"
            )
        )
    # After partial payments (RecordPayment), settling pays what is still owed.
    out.append(
        ev.ReceivableSettled(
            piece.id,
            piece.obligor_id,
            piece.holder_id,
            piece.outstanding_minor,
            piece.currency,
            today,
        )
    )
    return out


@_decide.register
def _(cmd: c.MarkOverdue, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_or_operator(state, piece, actor, "mark overdue")
    if piece.status != "live":
        raise Conflict("receivable_not_live", f"{piece.id} is {piece.status}", "receivable_id")
    if today <= piece.due_on:
        raise Conflict("not_yet_overdue", f"{piece.id} is due on {piece.due_on}", "receivable_id")
    return [ev.ReceivableOverdue(piece.id, piece.obligor_id, piece.holder_id, today)]


@_decide.register
def _(cmd: c.MarkDefaulted, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_or_operator(state, piece, actor, "mark defaulted")
    if piece.status != "overdue":
        raise Conflict(
            "receivable_not_overdue",
            f"{piece.id} is {piece.status}; only an overdue piece can default",
            "receivable_id",
        )
    program = _program(state, piece.program_id)
    default_on = piece.due_on + timedelta(days=program.default_after_days)
    if today < default_on:
        raise Conflict(
            "grace_period_running",
            f"{piece.id} can be marked defaulted from {default_on}",
            "receivable_id",
        )
    return [ev.ReceivableDefaulted(piece.id, piece.obligor_id, piece.holder_id, today)]


@_decide.register
def _(cmd: c.CancelReceivable, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_only(piece, actor, "cancel")
    if (
        piece.parent_id is not None
        or piece.status != "live"
        or (piece.holder_id != piece.supplier_id)
        or piece.encumbrance is not None
    ):
        raise Conflict(
            "cannot_cancel",
            "the anchor can cancel only while the supplier still holds the whole, "
            "unencumbered receivable",
            "receivable_id",
        )
    return [
        ev.ReceivableCancelled(
            piece.id, piece.obligor_id, piece.holder_id, piece.face_minor, cmd.reason[:200]
        )
    ]


# --- trade documents and payments ---------------------------------------------------
# The three-way-match gate: an imported invoice is confirmed when its match is clean and
# nothing flags it, else only after a checker approved an override for that document.

CLEAN_MATCH_STATUSES = frozenset({"matched", "erp_approved"})
# A "payment" is a partial payment of a piece (RecordPayment), obligor -> holder.
PAYMENT_KINDS = ("settlement", "disbursement", "payment")


def _hex64(value: str, param: str) -> str:
    if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
        raise InvalidRequest("invalid_digest", f"{param} is 64 lower-case hex digits", param)
    return value


def _reasons(values: tuple[str, ...], param: str) -> tuple[str, ...]:
    if len(values) > 50 or any(not v.strip() or len(v) > 200 for v in values):
        raise InvalidRequest(
            "invalid_reasons", f"{param}: at most 50 entries of 1-200 characters", param
        )
    return values


@_decide.register
def _(cmd: c.RequestMatchOverride, state: State, actor: Actor, today: date) -> list[ev.Event]:
    program = _program(state, cmd.program_id)
    _anchor_of(program, actor)
    check_id("doc", cmd.document_id, "document_id")
    if cmd.approval_id is None:
        raise InvalidRequest(
            "missing_id", "name the approval_id the override creates", "approval_id"
        )
    approval_id = _new_id(state, actor, "apr", cmd.approval_id, "approval_id")
    if not cmd.reasons:
        raise InvalidRequest("missing_reasons", "say what the override lets through", "reasons")
    return [
        ev.MatchOverrideRequested(
            approval_id,
            program.id,
            program.anchor_id,
            actor.user_id,
            cmd.document_id,
            _hex64(cmd.document_sha256, "document_sha256"),
            _reasons(cmd.reasons, "reasons"),
            cmd.note.strip()[:500],
        )
    ]


@_decide.register
def _(cmd: c.ApproveMatchOverride, state: State, actor: Actor, today: date) -> list[ev.Event]:
    payload = _pending_approval(state, cmd.approval_id, "match_override", actor)
    return [
        ev.MatchOverrideApproved(
            cmd.approval_id,
            payload["program_id"],
            actor.org_id,
            payload["document_id"],
            actor.user_id,
        )
    ]


def _check_override(state: State, actor: Actor, cmd: c.ConfirmTradeInvoice) -> None:
    needs = cmd.match_status not in CLEAN_MATCH_STATUSES or bool(cmd.flags)
    if cmd.override_id is None:
        if not needs:
            return
        if cmd.match_status not in CLEAN_MATCH_STATUSES:
            raise Conflict(
                "three_way_match_failed",
                f"{cmd.document_id}: the three-way match is {cmd.match_status!r}; "
                "a checker must approve a match override before it is confirmed",
                "document_id",
            )
        raise Conflict(
            "review_required",
            f"{cmd.document_id} is flagged ({', '.join(cmd.flags)}); a checker must "
            "approve a match override before it is confirmed",
            "document_id",
        )
    approval = state.approval(cmd.override_id)
    if approval is None or approval.kind != "match_override":
        raise NotFound("unknown_approval", f"no match override {cmd.override_id!r}", "override_id")
    payload: dict[str, str] = json.loads(approval.payload_json)
    if approval.org_id != actor.org_id or payload["document_id"] != cmd.document_id:
        raise PermissionDenied(
            "override_not_for_document",
            f"{cmd.override_id} overrides another document",
            "override_id",
        )
    if approval.status != "approved":
        raise Conflict(
            "override_not_approved",
            f"{cmd.override_id} is {approval.status}; a checker must approve it",
            "override_id",
        )
    if payload["document_sha256"] != cmd.document_sha256:
        raise Conflict(
            "override_for_other_content",
            f"{cmd.override_id} was approved for other document bytes",
            "override_id",
        )


@_decide.register
def _(cmd: c.ConfirmTradeInvoice, state: State, actor: Actor, today: date) -> list[ev.Event]:
    check_id("doc", cmd.document_id, "document_id")
    for name in ("invoice_id", "receivable_id", "approval_id"):
        if getattr(cmd, name) is None:
            raise InvalidRequest("missing_id", f"name the {name} the confirmation creates", name)
    _hex64(cmd.document_sha256, "document_sha256")
    _hex64(cmd.fingerprint, "fingerprint")
    if not cmd.match_status.strip() or len(cmd.match_status) > 40:
        raise InvalidRequest(
            "invalid_match_status", "match_status is 1-40 characters", "match_status"
        )
    _reasons(cmd.flags, "flags")
    _check_override(state, actor, cmd)
    inner = c.ConfirmInvoice(
        cmd.program_id,
        cmd.supplier_id,
        cmd.invoice_number,
        cmd.amount_minor,
        cmd.currency,
        cmd.due_on,
        invoice_id=cmd.invoice_id,
        receivable_id=cmd.receivable_id,
        approval_id=cmd.approval_id,
    )
    confirmed = _decide(inner, state, actor, today)
    program = _program(state, cmd.program_id)
    assert cmd.invoice_id is not None and cmd.receivable_id is not None
    link = ev.TradeDocumentLinked(
        cmd.document_id,
        program.id,
        program.anchor_id,
        cmd.supplier_id,
        cmd.invoice_id,
        cmd.receivable_id,
        cmd.invoice_number.strip(),
        cmd.document_sha256,
        cmd.fingerprint,
        cmd.match_status,
        cmd.flags,
        cmd.override_id,
    )
    return [link, *confirmed]


def _paid_on(piece: Receivable, cmd: c.ReconcilePayment) -> tuple[str, str, int, str]:
    """What a settlement or (partial) payment of the piece can have been: obligor to
    holder (who cannot change after maturity), at most what was paid on it in all."""
    amount = cmd.amount_minor if 0 < cmd.amount_minor <= piece.paid_minor else piece.paid_minor
    return (piece.obligor_id, piece.holder_id, amount, piece.currency)


@_decide.register
def _(cmd: c.ReconcilePayment, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "reconciles payments")
    if cmd.kind not in PAYMENT_KINDS:
        raise InvalidRequest(
            "invalid_payment_kind", "kind is settlement, payment or disbursement", "kind"
        )
    if not cmd.instruction_id.strip() or len(cmd.instruction_id) > 35:
        raise InvalidRequest(
            "invalid_instruction_id", "an instruction id is 1-35 characters", "instruction_id"
        )
    if not cmd.bank_reference.strip() or len(cmd.bank_reference) > 140:
        raise InvalidRequest(
            "invalid_bank_reference", "the bank reference is 1-140 characters", "bank_reference"
        )
    piece = _piece(state, cmd.receivable_id)
    if cmd.kind == "settlement":
        if piece.status != "settled":
            raise Conflict(
                "not_settled",
                f"{piece.id} is {piece.status}; only a settled piece's payment is reconciled",
                "receivable_id",
            )
        expected = _paid_on(piece, cmd)
    elif cmd.kind == "payment":
        if piece.paid_minor <= 0:
            raise Conflict("not_paid", f"{piece.id} has no payment to reconcile", "receivable_id")
        expected = _paid_on(piece, cmd)
    else:
        if cmd.offer_id is None:
            raise InvalidRequest(
                "missing_offer", "a disbursement names its financing offer", "offer_id"
            )
        offer = state.financing_offer(cmd.offer_id)
        if offer is None:
            raise NotFound("unknown_offer", f"no financing offer {cmd.offer_id!r}", "offer_id")
        request = state.financing_request(offer.request_id)
        if offer.status != "accepted" or request is None or (request.receivable_id != piece.id):
            raise Conflict(
                "not_disbursable",
                f"{cmd.offer_id} is not an accepted offer for {piece.id}",
                "offer_id",
            )
        expected = (offer.funder_id, request.holder_id, offer.proceeds_minor, piece.currency)
    if (cmd.from_org_id, cmd.to_org_id, cmd.amount_minor, cmd.currency) != expected:
        raise Conflict(
            "payment_does_not_match",
            f"the {cmd.kind} of {piece.id} is "
            f"{format_amount(expected[2], expected[3])} from "
            f"{expected[0]} to {expected[1]}",
            "amount_minor",
        )
    return [
        ev.PaymentReconciled(
            cmd.instruction_id,
            cmd.kind,
            piece.id,
            cmd.offer_id,
            cmd.from_org_id,
            cmd.to_org_id,
            cmd.amount_minor,
            cmd.currency,
            cmd.value_date,
            cmd.booked_on,
            cmd.bank_reference,
            cmd.match_rule[:40],
        )
    ]


# --- separation of duties and custody ----------------------------------------------------
# The rule is written down in docs/security.md, "Separation of duties".


@_decide.register
def _(cmd: c.GrantPermission, state: State, actor: Actor, today: date) -> list[ev.Event]:
    user = state.user(cmd.user_id)
    if user is None:
        raise NotFound("unknown_user", f"no user {cmd.user_id!r}", "user_id")
    if user.org_id != actor.org_id:
        raise PermissionDenied(
            "wrong_organisation", "an organisation grants permissions to its own users", "user_id"
        )
    if cmd.permission not in PERMISSIONS:
        raise InvalidRequest(
            "invalid_permission",
            f"permission must be one of {', '.join(PERMISSIONS)}",
            "permission",
        )
    if cmd.permission in user.permissions:
        raise Conflict(
            "permission_held", f"{user.id} already holds {cmd.permission!r}", "permission"
        )
    if cmd.permission not in APPROVAL_PERMISSIONS:
        return [
            ev.PermissionGranted(actor.org_id, user.id, cmd.permission, None, actor.user_id, None)
        ]
    if cmd.approval_id is None:
        raise InvalidRequest(
            "missing_id", "name the approval_id the grant request creates", "approval_id"
        )
    approval_id = _new_id(state, actor, "apr", cmd.approval_id, "approval_id")
    return [
        ev.PermissionGrantRequested(
            approval_id, actor.org_id, actor.user_id, user.id, cmd.permission
        )
    ]


@_decide.register
def _(cmd: c.ApprovePermissionGrant, state: State, actor: Actor, today: date) -> list[ev.Event]:
    payload = _pending_approval(state, cmd.approval_id, "permission_grant", actor)
    approval = state.approval(cmd.approval_id)
    assert approval is not None
    user = state.user(payload["user_id"])
    assert user is not None, "a grant request names an existing user"
    if payload["permission"] in user.permissions:
        raise Conflict(
            "permission_held", f"{user.id} already holds {payload['permission']!r}", "approval_id"
        )
    if user.id == actor.user_id:
        raise PermissionDenied(
            "same_user_cannot_approve", "no one approves a permission for themselves", "approval_id"
        )
    return [
        ev.PermissionGranted(
            actor.org_id,
            user.id,
            payload["permission"],
            cmd.approval_id,
            approval.maker_id,
            actor.user_id,
        )
    ]


@_decide.register
def _(cmd: c.DisableCustody, state: State, actor: Actor, today: date) -> list[ev.Event]:
    org = _org(state, cmd.org_id, "org_id")
    if org.id != actor.org_id:
        raise PermissionDenied(
            "wrong_organisation", "only the organisation itself switches its custody off", "org_id"
        )
    if org.custody_disabled:
        raise Conflict("custody_disabled", f"{org.id} already switched custody off", "org_id")
    keys = state.org_keys(org.id)
    if not any(not k.custodial and k.rotated_at is None and k.revoked_at is None for k in keys):
        raise Conflict(
            "own_key_required",
            f"{org.id} has no key of its own in force: register one first "
            "(POST /v1/keys), then switch custody off",
            "org_id",
        )
    revoked = tuple(
        k.id for k in keys if k.custodial and k.rotated_at is None and k.revoked_at is None
    )
    return [ev.CustodyDisabled(org.id, revoked)]


# Partial payment, obligor default and recovery, recourse and dilution live in modules of
# their own; importing them registers their rules (they read this module's helpers, so
# they come last).
from openscf.domain import dilution, recourse, risk_log  # noqa: E402
from openscf.domain import recovery as _recovery  # noqa: E402, F401
