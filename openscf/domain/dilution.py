"""Dilution after confirmation, and disputes that hold an invoice back from confirmation.

A confirmed receivable is an irrevocable undertaking and may already be held by someone
else, so a credit note or an agreed dispute never makes it smaller. Instead the anchor
holds a *credit* against the supplier (`Credit`):

- `RecordCreditNote` (the anchor, on its own supplier's confirmed invoice) opens a credit;
- `RaiseDispute` (the anchor) disputes an amount of an invoice, named by number. While the
  dispute is open the invoice cannot be confirmed (`invoice_disputed`). `ResolveDispute`
  closes it: "agreed" by the supplier (for at most the disputed amount), or "withdrawn"
  by the anchor. An agreed dispute on an invoice already confirmed opens a credit; on one
  not yet confirmed it only releases the hold (the anchor confirms the agreed amount);
- at each later confirmation of that supplier's invoice in the program, the open credits
  are netted, oldest first: the receivable is issued for the invoice amount less the
  netting, which takes at most what is open and at most the invoice amount less one minor
  unit (a receivable always has a positive face). One `CreditNetted` event per credit
  touched follows the `ReceivableIssued`; it restores the invoice's recorded amount to
  the gross (the invoice shows what was invoiced, the receivable what is owed);
- a credit never netted stays open: a claim of the anchor on the supplier, shown to both.

Money is conserved: for every program and supplier, what was netted off the credits
(amount less open) equals what the invoices lost (invoice amount less the face of the
receivable it backs); no credit is netted beyond what is open, and the credits on one
invoice never exceed it. The limits of a netted confirmation are checked on the gross.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import _apply
from openscf.domain.decide import Actor, _anchor_of, _decide, _new_id, _program
from openscf.domain.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import Credit, Dispute, DisputeStatus, Invoice, Program
from openscf.domain.money import check_amount, format_amount
from openscf.domain.state import InMemoryState, State

__all__ = ["OUTCOMES", "check_event", "check_not_disputed", "conservation", "netting"]

OUTCOMES = ("agreed", "withdrawn")


# --- hooks the confirmation rules call ---------------------------------------------------


def check_not_disputed(state: State, program: Program, supplier_id: str, number: str) -> None:
    dispute = state.open_dispute(program.anchor_id, supplier_id, number)
    if dispute is not None:
        raise Conflict(
            "invoice_disputed",
            f"invoice {number!r} of {supplier_id} is disputed ({dispute.id}); "
            "resolve the dispute before confirming it",
            "invoice_number",
        )


def netting(
    state: State, program_id: str, supplier_id: str, amount_minor: int
) -> list[tuple[Credit, int]]:
    """(credit, amount) to net against a confirmation of `amount_minor`, oldest first."""
    room = amount_minor - 1
    out: list[tuple[Credit, int]] = []
    for credit in state.credits_of(program_id, supplier_id):
        if room <= 0:
            break
        if credit.status != "open":
            continue
        take = min(credit.open_minor, room)
        out.append((credit, take))
        room -= take
    assert sum(take for _, take in out) < amount_minor
    return out


def netted_events(
    state: State,
    program: Program,
    supplier_id: str,
    invoice_id: str,
    receivable_id: str,
    amount_minor: int,
) -> tuple[int, list[ev.Event]]:
    """The face to issue and the CreditNetted events that follow the ReceivableIssued."""
    taken = netting(state, program.id, supplier_id, amount_minor)
    face = amount_minor - sum(take for _, take in taken)
    assert 0 < face <= amount_minor
    return face, [
        ev.CreditNetted(
            credit.id,
            program.id,
            program.anchor_id,
            supplier_id,
            invoice_id,
            receivable_id,
            take,
            program.currency,
        )
        for credit, take in taken
    ]


# --- rules ------------------------------------------------------------------------------


def _credited(state: State, invoice: Invoice) -> int:
    return sum(
        k.amount_minor
        for k in state.credits_of(invoice.program_id, invoice.supplier_id)
        if k.invoice_id == invoice.id
    )


def _room_on(state: State, invoice: Invoice, amount_minor: int, param: str) -> None:
    """The credits on one invoice never exceed it, nor can the invoice be cancelled."""
    root = state.receivable(invoice.receivable_id)
    assert root is not None
    if root.status == "cancelled":
        raise Conflict(
            "invoice_cancelled",
            f"{invoice.id}'s receivable was cancelled; nothing is left to credit",
            "invoice_id",
        )
    credited = _credited(state, invoice)
    if credited + amount_minor > invoice.amount_minor:

        def m(amount: int) -> str:
            return format_amount(amount, invoice.currency)

        raise Conflict(
            "credit_exceeds_invoice",
            f"invoice {invoice.number!r} is {m(invoice.amount_minor)}; "
            f"{m(credited)} is already credited, so at most "
            f"{m(invoice.amount_minor - credited)} more can be",
            param,
        )


@_decide.register
def _(cmd: c.RecordCreditNote, state: State, actor: Actor, today: date) -> list[ev.Event]:
    invoice = state.invoice(cmd.invoice_id)
    if invoice is None:
        raise NotFound("unknown_invoice", f"no confirmed invoice {cmd.invoice_id!r}", "invoice_id")
    if invoice.anchor_id != actor.org_id:
        raise PermissionDenied(
            "not_obligor",
            f"only {invoice.anchor_id}, which confirmed {invoice.id}, records credit notes on it",
            "invoice_id",
        )
    credit_id = _new_id(state, actor, "crd", cmd.credit_id, "credit_id")
    number = cmd.credit_note_number.strip()
    if not number or len(number) > 64:
        raise InvalidRequest(
            "invalid_credit_note_number",
            "a credit note number is 1-64 characters",
            "credit_note_number",
        )
    check_amount(cmd.amount_minor)
    _room_on(state, invoice, cmd.amount_minor, "amount_minor")
    return [
        ev.CreditNoteRecorded(
            credit_id,
            invoice.program_id,
            invoice.anchor_id,
            invoice.supplier_id,
            invoice.id,
            invoice.receivable_id,
            number,
            cmd.amount_minor,
            invoice.currency,
            today,
        )
    ]


@_decide.register
def _(cmd: c.RaiseDispute, state: State, actor: Actor, today: date) -> list[ev.Event]:
    program = _program(state, cmd.program_id)
    _anchor_of(program, actor)
    dispute_id = _new_id(state, actor, "dsp", cmd.dispute_id, "dispute_id")
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
    reason = cmd.reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidRequest("invalid_reason", "say why, in 1-200 characters", "reason")
    check_amount(cmd.amount_minor)
    open_one = state.open_dispute(program.anchor_id, cmd.supplier_id, number)
    if open_one is not None:
        raise Conflict(
            "dispute_open",
            f"invoice {number!r} is already disputed ({open_one.id}); resolve that dispute first",
            "invoice_number",
        )
    invoice = state.invoice_by_number(program.anchor_id, cmd.supplier_id, number)
    if invoice is not None:
        _room_on(state, invoice, cmd.amount_minor, "amount_minor")
    return [
        ev.DisputeRaised(
            dispute_id,
            program.id,
            program.anchor_id,
            cmd.supplier_id,
            number,
            None if invoice is None else invoice.id,
            cmd.amount_minor,
            program.currency,
            reason,
        )
    ]


@_decide.register
def _(cmd: c.ResolveDispute, state: State, actor: Actor, today: date) -> list[ev.Event]:
    dispute = state.dispute(cmd.dispute_id)
    if dispute is None:
        raise NotFound("unknown_dispute", f"no dispute {cmd.dispute_id!r}", "dispute_id")
    if actor.org_id not in (dispute.anchor_id, dispute.supplier_id):
        raise PermissionDenied(
            "not_dispute_party",
            f"only {dispute.anchor_id} and {dispute.supplier_id} resolve {dispute.id}",
            "dispute_id",
        )
    if cmd.outcome not in OUTCOMES:
        raise InvalidRequest("invalid_outcome", "outcome is agreed or withdrawn", "outcome")
    if cmd.outcome == "agreed" and actor.org_id != dispute.supplier_id:
        raise PermissionDenied(
            "not_dispute_supplier",
            f"only the supplier {dispute.supplier_id} agrees to {dispute.id}",
            "outcome",
        )
    if cmd.outcome == "withdrawn" and actor.org_id != dispute.anchor_id:
        raise PermissionDenied(
            "not_dispute_anchor",
            f"only the anchor {dispute.anchor_id} withdraws {dispute.id}",
            "outcome",
        )
    if dispute.status != "open":
        raise Conflict(
            "dispute_not_open", f"{dispute.id} is already {dispute.status}", "dispute_id"
        )
    if cmd.outcome == "withdrawn":
        return [
            ev.DisputeResolved(
                dispute.id,
                dispute.program_id,
                dispute.anchor_id,
                dispute.supplier_id,
                "withdrawn",
                0,
                dispute.invoice_id,
                None,
                today,
            )
        ]
    agreed = dispute.amount_minor if cmd.amount_minor is None else cmd.amount_minor
    check_amount(agreed)
    if agreed > dispute.amount_minor:
        raise InvalidRequest(
            "agreed_exceeds_dispute",
            f"{dispute.id} disputes "
            f"{format_amount(dispute.amount_minor, dispute.currency)}; agree to "
            "at most that",
            "amount_minor",
        )
    credit_id = None
    if dispute.invoice_id is not None:
        invoice = state.invoice(dispute.invoice_id)
        assert invoice is not None
        _room_on(state, invoice, agreed, "amount_minor")
        credit_id = _new_id(state, actor, "crd", cmd.credit_id, "credit_id")
    return [
        ev.DisputeResolved(
            dispute.id,
            dispute.program_id,
            dispute.anchor_id,
            dispute.supplier_id,
            "agreed",
            agreed,
            dispute.invoice_id,
            credit_id,
            today,
        )
    ]


# --- how the events change the state -------------------------------------------------------


@_apply.register
def _(e: ev.CreditNoteRecorded, state: State, record: ev.EventRecord) -> None:
    state.put(
        Credit(
            e.credit_id,
            e.program_id,
            e.anchor_id,
            e.supplier_id,
            e.invoice_id,
            "credit_note",
            e.credit_note_number,
            e.amount_minor,
            e.amount_minor,
            e.currency,
            "open",
            e.recorded_on,
        )
    )


@_apply.register
def _(e: ev.DisputeRaised, state: State, record: ev.EventRecord) -> None:
    state.put(
        Dispute(
            e.dispute_id,
            e.program_id,
            e.anchor_id,
            e.supplier_id,
            e.invoice_number,
            exact_invoice_number_key(e.invoice_number),
            e.amount_minor,
            e.currency,
            e.reason,
            e.invoice_id,
            "open",
        )
    )


@_apply.register
def _(e: ev.DisputeResolved, state: State, record: ev.EventRecord) -> None:
    dispute = state.dispute(e.dispute_id)
    assert dispute is not None
    outcome: DisputeStatus = "agreed" if e.outcome == "agreed" else "withdrawn"
    assert e.outcome == outcome, e.outcome
    state.put(replace(dispute, status=outcome, agreed_minor=e.agreed_minor, credit_id=e.credit_id))
    if e.credit_id is not None:
        assert e.invoice_id is not None
        state.put(
            Credit(
                e.credit_id,
                e.program_id,
                e.anchor_id,
                e.supplier_id,
                e.invoice_id,
                "dispute",
                e.dispute_id,
                e.agreed_minor,
                e.agreed_minor,
                dispute.currency,
                "open",
                e.recorded_on,
            )
        )


@_apply.register
def _(e: ev.CreditNetted, state: State, record: ev.EventRecord) -> None:
    credit = state.credit(e.credit_id)
    invoice = state.invoice(e.invoice_id)
    assert credit is not None and invoice is not None
    left = credit.open_minor - e.amount_minor
    assert left >= 0, f"{credit.id} netted beyond what is open"
    state.put(replace(credit, open_minor=left, status="open" if left else "netted"))
    state.put(replace(invoice, amount_minor=invoice.amount_minor + e.amount_minor))


# --- the replay's reading -------------------------------------------------------------------


def check_event(state: InMemoryState, record: ev.EventRecord) -> str | None:
    e, org = record.event, record.org_id
    if isinstance(e, ev.CreditNoteRecorded):
        invoice = state.invoice(e.invoice_id)
        if (
            invoice is None
            or invoice.anchor_id != org
            or (invoice.supplier_id, invoice.program_id) != (e.supplier_id, e.program_id)
        ):
            return f"{org} recorded a credit note on {e.invoice_id}, not its own invoice"
        return _over_credited(state, invoice, e.amount_minor) or _fresh(state, e.credit_id)
    if isinstance(e, ev.DisputeRaised):
        program = state.program(e.program_id)
        if program is None or program.anchor_id != org or e.anchor_id != org:
            return f"{org} raised a dispute in {e.program_id}, not its program"
        if state.open_dispute(org, e.supplier_id, e.invoice_number) is not None:
            return f"invoice {e.invoice_number} already disputed"
        if e.amount_minor <= 0 or e.dispute_id in state.disputes:
            return "bad dispute amount or id"
        return None
    if isinstance(e, ev.DisputeResolved):
        return _check_resolved(state, e, org)
    if isinstance(e, ev.CreditNetted):
        return _check_netted(state, e, org)
    if (
        isinstance(e, ev.ReceivableIssued)
        and state.open_dispute(e.obligor_id, e.supplier_id, e.invoice_number) is not None
    ):
        return f"invoice {e.invoice_number} confirmed while disputed"
    return None


def _fresh(state: InMemoryState, credit_id: str | None) -> str | None:
    return f"credit id {credit_id} reused" if credit_id in state.credits else None


def _over_credited(state: InMemoryState, invoice: Invoice, amount_minor: int) -> str | None:
    if amount_minor <= 0 or _credited(state, invoice) + amount_minor > invoice.amount_minor:
        return f"credits on {invoice.id} would exceed the invoice"
    return None


def _check_resolved(state: InMemoryState, e: ev.DisputeResolved, org: str) -> str | None:
    dispute = state.dispute(e.dispute_id)
    if dispute is None or dispute.status != "open":
        return f"dispute {e.dispute_id} is not open"
    by = dispute.supplier_id if e.outcome == "agreed" else dispute.anchor_id
    if e.outcome not in OUTCOMES or org != by:
        return f"{org} resolved {dispute.id} as {e.outcome}; only {by} may"
    if e.outcome == "agreed" and not 0 < e.agreed_minor <= dispute.amount_minor:
        return f"{dispute.id} agreed beyond the disputed amount"
    if (e.credit_id is None) != (e.outcome != "agreed" or dispute.invoice_id is None):
        return f"{dispute.id}: a credit follows exactly an agreed dispute on a confirmed invoice"
    if e.credit_id is not None:
        invoice = state.invoices[dispute.invoice_id or ""]
        return _over_credited(state, invoice, e.agreed_minor) or _fresh(state, e.credit_id)
    return None


def _check_netted(state: InMemoryState, e: ev.CreditNetted, org: str) -> str | None:
    credit = state.credit(e.credit_id)
    piece = state.receivable(e.receivable_id)
    if credit is None or piece is None:
        return f"netting names unknown credit {e.credit_id} or receivable {e.receivable_id}"
    if org != credit.anchor_id or (credit.program_id, credit.supplier_id) != (
        piece.program_id,
        piece.supplier_id,
    ):
        return f"{org} netted {credit.id} against another supplier's confirmation"
    if not 0 < e.amount_minor <= credit.open_minor:
        return f"{credit.id} netted beyond what is open"
    if (
        piece.parent_id is not None
        or piece.status != "live"
        or (piece.holder_id != piece.supplier_id or piece.invoice_id != e.invoice_id)
    ):
        return f"{credit.id} netted against {piece.id}, which is not a new confirmation"
    return None


def conservation(state: InMemoryState) -> list[str]:
    """What the credits gave up equals what the invoices were netted, per supplier."""
    given: dict[tuple[str, str], int] = defaultdict(int)
    for credit in state.credits.values():
        if not 0 <= credit.open_minor <= credit.amount_minor:
            return [f"{credit.id} has {credit.open_minor} open of {credit.amount_minor}"]
        given[(credit.program_id, credit.supplier_id)] += credit.amount_minor - credit.open_minor
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for invoice in state.invoices.values():
        root = state.receivables[invoice.receivable_id]
        taken[(invoice.program_id, invoice.supplier_id)] += invoice.amount_minor - root.face_minor
    return [
        f"credits of {supplier} in {program} gave up {given[(program, supplier)]}, "
        f"invoices were netted {taken[(program, supplier)]}"
        for program, supplier in sorted(set(given) | set(taken))
        if given[(program, supplier)] != taken[(program, supplier)]
    ]
