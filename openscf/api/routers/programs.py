"""Programs, their funders and suppliers; confirmations, invoices and approvals."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import (
    ERRORS,
    READ_ERRORS,
    ApprovalPath,
    InvoicePath,
    Limit,
    ProgramPath,
    StartingAfter,
)
from openscf.api.security import Caller, Mutate, services
from openscf.domain import commands as c
from openscf.domain.errors import NotFound

router = APIRouter()

Body = dict[str, Any]
ProgramFilter = Annotated[str | None, Query(pattern=s.id_pattern("prg"), max_length=80)]


# --- programs --------------------------------------------------------------------------


@router.post(
    "/programs", status_code=201, response_model=s.ProgramOut, responses=ERRORS, tags=["programs"]
)
def create_program(body: s.CreateProgram, m: Mutate) -> Body:
    """An anchor (admin) starts a supply-chain finance program."""
    outcome = m.run(
        c.CreateProgram(
            body.name,
            body.currency,
            body.max_tenor_days,
            body.program_limit_minor,
            body.supplier_limit_minor,
            body.funder_limit_minor,
            day_count=body.day_count,
            calendar=body.calendar,
            approval_threshold_minor=body.approval_threshold_minor,
            default_after_days=body.default_after_days,
            program_id=body.id,
            recourse=body.recourse,
            recourse_days=body.recourse_days,
        )
    )
    return out.program(m.svc.reads.program(m.principal, outcome.created["program_id"]))


@router.get(
    "/programs", response_model=s.ListOf[s.ProgramOut], responses=READ_ERRORS, tags=["programs"]
)
def list_programs(
    request: Request, caller: Caller, limit: Limit = 20, starting_after: StartingAfter = None
) -> Body:
    """Programs the caller runs, funds or is onboarded in."""
    page = services(request).reads.programs(caller, limit=limit, starting_after=starting_after)
    return out.listing(page, out.program)


@router.get(
    "/programs/{program_id}", response_model=s.ProgramOut, responses=READ_ERRORS, tags=["programs"]
)
def get_program(request: Request, caller: Caller, program_id: ProgramPath) -> Body:
    return out.program(services(request).reads.program(caller, program_id))


@router.post(
    "/programs/{program_id}/funders",
    response_model=s.ProgramOut,
    responses=ERRORS,
    tags=["programs"],
)
def add_funder(program_id: ProgramPath, body: s.AddFunder, m: Mutate) -> Body:
    """The anchor adds a funder to its program."""
    reads = m.svc.reads
    m.run(
        c.AddFunder(program_id, body.funder_id),
        guard=lambda: _sees_program(m, program_id),
        hidden=("program", program_id, "program_id"),
    )
    return out.program(reads.program(m.principal, program_id))


@router.post(
    "/programs/{program_id}/suppliers",
    status_code=201,
    response_model=s.ProgramSupplierOut,
    responses=ERRORS,
    tags=["programs"],
)
def onboard_supplier(program_id: ProgramPath, body: s.OnboardSupplier, m: Mutate) -> Body:
    """The anchor onboards a supplier (KYC done, bank account verified)."""
    m.run(
        c.OnboardSupplier(program_id, body.supplier_id),
        guard=lambda: _sees_program(m, program_id),
        hidden=("program", program_id, "program_id"),
    )
    return out.program_supplier(m.svc.reads.relationship(m.principal, program_id, body.supplier_id))


@router.get(
    "/programs/{program_id}/suppliers",
    response_model=s.ListOf[s.ProgramSupplierOut],
    responses=READ_ERRORS,
    tags=["programs"],
)
def list_program_suppliers(
    request: Request,
    caller: Caller,
    program_id: ProgramPath,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
) -> Body:
    page = services(request).reads.relationships(
        caller, program_id, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.program_supplier)


def _sees_program(m: Any, program_id: str) -> bool:
    try:
        m.svc.reads.program(m.principal, program_id)
    except NotFound:
        return False
    return True


# --- confirmations and invoices --------------------------------------------------------


@router.post(
    "/confirmations",
    status_code=201,
    response_model=s.ConfirmationOut,
    responses=ERRORS,
    tags=["confirmations"],
)
def confirm_invoice(body: s.Confirm, m: Mutate) -> Body:
    """The anchor (a maker) confirms an approved invoice: an irrevocable undertaking to
    pay, which issues a receivable to the supplier. Above the program's approval
    threshold the confirmation waits for a checker (`status: pending_approval`; approve
    with POST /v1/approvals/{approval_id}/approve)."""
    outcome = m.run(
        c.ConfirmInvoice(
            body.program_id,
            body.supplier_id,
            body.invoice_number,
            body.amount_minor,
            body.currency,
            body.due_on,
            invoice_id=body.invoice_id,
            receivable_id=body.receivable_id,
            approval_id=body.approval_id,
        ),
        guard=lambda: _sees_program(m, body.program_id),
        hidden=("program", body.program_id, "program_id"),
    )
    pending = any(e["type"] == "ConfirmationRequested" for e in outcome.events)
    created = outcome.created
    return {
        "object": "confirmation",
        "id": created["invoice_id"],
        "status": "pending_approval" if pending else "confirmed",
        "program_id": body.program_id,
        "supplier_id": body.supplier_id,
        "invoice_number": body.invoice_number,
        "amount_minor": body.amount_minor,
        "currency": body.currency,
        "due_on": body.due_on.isoformat(),
        "invoice_id": created["invoice_id"],
        "receivable_id": created["receivable_id"],
        "approval_id": created["approval_id"] if pending else None,
    }


@router.get(
    "/invoices",
    response_model=s.ListOf[s.InvoiceOut],
    responses=READ_ERRORS,
    tags=["confirmations"],
)
def list_invoices(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    program_id: ProgramFilter = None,
) -> Body:
    """Confirmed invoices the caller issued (supplier) or owes (anchor)."""
    page = services(request).reads.invoices(
        caller, program_id=program_id, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.invoice)


@router.get(
    "/invoices/{invoice_id}",
    response_model=s.InvoiceOut,
    responses=READ_ERRORS,
    tags=["confirmations"],
)
def get_invoice(request: Request, caller: Caller, invoice_id: InvoicePath) -> Body:
    return out.invoice(services(request).reads.invoice(caller, invoice_id))


# --- approvals (maker-checker) ---------------------------------------------------------


@router.get(
    "/approvals", response_model=s.ListOf[s.ApprovalOut], responses=READ_ERRORS, tags=["approvals"]
)
def list_approvals(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    status: Literal["pending", "approved"] | None = None,
    kind: Literal["confirmation", "bank_account", "permission_grant"] | None = None,
) -> Body:
    """The caller's organisation's maker-checker approvals."""
    page = services(request).reads.approvals(
        caller, status=status, kind=kind, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.approval)


@router.get(
    "/approvals/{approval_id}",
    response_model=s.ApprovalOut,
    responses=READ_ERRORS,
    tags=["approvals"],
)
def get_approval(request: Request, caller: Caller, approval_id: ApprovalPath) -> Body:
    return out.approval(services(request).reads.approval(caller, approval_id))


@router.post(
    "/approvals/{approval_id}/approve",
    response_model=s.ApprovalOut,
    responses=ERRORS,
    tags=["approvals"],
)
def approve(approval_id: ApprovalPath, m: Mutate, body: s.NoBody | None = None) -> Body:
    """A checker approves what a different user (the maker) of the same organisation
    proposed: a large confirmation, a bank-account change, a 'checker' grant, or (for the
    operator) an obligor's default. The
    checker must not have been created or made a checker by the maker, and must have
    held the permission when the request was made."""
    reads = m.svc.reads
    pending = reads.approval(m.principal, approval_id)
    command: Any = (
        c.ApproveConfirmation(approval_id)
        if pending.kind == "confirmation"
        else c.ApprovePermissionGrant(approval_id)
        if pending.kind == "permission_grant"
        else c.ApproveObligorDefault(approval_id)
        if pending.kind == "obligor_default"
        else c.ApproveBankAccountChange(approval_id)
    )
    m.run(command)
    return out.approval(reads.approval(m.principal, approval_id))
