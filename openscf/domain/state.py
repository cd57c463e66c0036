"""The state the domain reads and `apply` writes, behind one small interface.

`State` is what `decide` and `apply` need; `InMemoryState` implements it with dicts (for
replay, tests and the reference model), and the store implements it over the database
with an identity map, so the same rules run in both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import (
    OUTSTANDING,
    Approval,
    Credit,
    DefaultClaim,
    Dispute,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    FraudFlag,
    Invoice,
    Organisation,
    OrgKey,
    Program,
    Receivable,
    Relationship,
    RiskDecision,
    RiskModel,
    User,
)

__all__ = ["InMemoryState", "Record", "State"]

Record = (
    Organisation
    | User
    | Program
    | Relationship
    | Invoice
    | Receivable
    | FinancingRequest
    | FinancingOffer
    | EarlyPaymentOffer
    | Approval
    | Exposure
    | OrgKey
    | Credit
    | Dispute
    | DefaultClaim
    | RiskModel
    | RiskDecision
    | FraudFlag
)


class State(Protocol):
    def organisation(self, org_id: str) -> Organisation | None: ...
    def user(self, user_id: str) -> User | None: ...
    def program(self, program_id: str) -> Program | None: ...
    def relationship(self, program_id: str, supplier_id: str) -> Relationship | None: ...
    def invoice(self, invoice_id: str) -> Invoice | None: ...
    def invoice_by_number(
        self, anchor_id: str, supplier_id: str, number: str
    ) -> Invoice | None: ...
    def receivable(self, receivable_id: str) -> Receivable | None: ...
    def financing_request(self, request_id: str) -> FinancingRequest | None: ...
    def financing_offer(self, offer_id: str) -> FinancingOffer | None: ...
    def financing_offers_of(self, request_id: str) -> list[FinancingOffer]:
        """Every offer made on the request, in id order."""
        ...

    def early_payment_offer(self, offer_id: str) -> EarlyPaymentOffer | None: ...
    def approval(self, approval_id: str) -> Approval | None: ...
    def org_key(self, key_id: str) -> OrgKey | None: ...
    def org_keys(self, org_id: str) -> list[OrgKey]: ...
    def exposure(self, key: str) -> int: ...
    def default_claim(self, claim_id: str) -> DefaultClaim | None: ...
    def outstanding_of(self, obligor_id: str) -> list[Receivable]:
        """Every piece the obligor still owes (status live, overdue or defaulted), in id
        order."""
        ...

    def id_taken(self, prefix: str, record_id: str) -> bool:
        """Does `record_id` already name a record? (A store may answer from its unique
        constraints at commit instead, retrying the command if it was wrong.)"""
        ...

    # Recourse and dilution.
    def credit(self, credit_id: str) -> Credit | None: ...
    def credits_of(self, program_id: str, supplier_id: str) -> list[Credit]:
        """Every credit the program's anchor holds against the supplier, oldest first
        (by `recorded_on`, then id): the order in which they are netted."""
        ...

    def dispute(self, dispute_id: str) -> Dispute | None: ...
    def open_dispute(self, anchor_id: str, supplier_id: str, number: str) -> Dispute | None:
        """The open dispute on the supplier's invoice with this number, if any."""
        ...

    # Risk decisions on the log.
    def risk_model(self, model_id: str) -> RiskModel | None: ...
    def risk_decision(self, decision_id: str) -> RiskDecision | None: ...
    def fraud_flag(self, flag_id: str) -> FraudFlag | None: ...
    def open_fraud_flag(self, anchor_id: str, supplier_id: str, number: str) -> FraudFlag | None:
        """The open fraud flag on the supplier's invoice with this number, if any."""
        ...

    def any_open_fraud_flag(self) -> bool:
        """Is any fraud flag open at all? (May say True when none is: it only lets the
        confirmation and financing rules skip looking when the answer is False.)"""
        ...

    def put(self, record: Record) -> None: ...


@dataclass
class InMemoryState:
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    relationships: dict[tuple[str, str], Relationship] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    invoice_numbers: dict[tuple[str, str, str], str] = field(default_factory=dict)
    receivables: dict[str, Receivable] = field(default_factory=dict)
    financing_requests: dict[str, FinancingRequest] = field(default_factory=dict)
    financing_offers: dict[str, FinancingOffer] = field(default_factory=dict)
    early_payment_offers: dict[str, EarlyPaymentOffer] = field(default_factory=dict)
    approvals: dict[str, Approval] = field(default_factory=dict)
    exposures: dict[str, int] = field(default_factory=dict)
    keys: dict[str, OrgKey] = field(default_factory=dict)
    credits: dict[str, Credit] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)
    default_claims: dict[str, DefaultClaim] = field(default_factory=dict)
    risk_models: dict[str, RiskModel] = field(default_factory=dict)
    risk_decisions: dict[str, RiskDecision] = field(default_factory=dict)
    fraud_flags: dict[str, FraudFlag] = field(default_factory=dict)
    # The open flag on each invoice, by (anchor, supplier, number key): at most one.
    open_flags: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def organisation(self, org_id: str) -> Organisation | None:
        return self.organisations.get(org_id)

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def program(self, program_id: str) -> Program | None:
        return self.programs.get(program_id)

    def relationship(self, program_id: str, supplier_id: str) -> Relationship | None:
        return self.relationships.get((program_id, supplier_id))

    def invoice(self, invoice_id: str) -> Invoice | None:
        return self.invoices.get(invoice_id)

    def invoice_by_number(self, anchor_id: str, supplier_id: str, number: str) -> Invoice | None:
        key = (anchor_id, supplier_id, exact_invoice_number_key(number))
        invoice_id = self.invoice_numbers.get(key)
        return None if invoice_id is None else self.invoices[invoice_id]

    def receivable(self, receivable_id: str) -> Receivable | None:
        return self.receivables.get(receivable_id)

    def financing_request(self, request_id: str) -> FinancingRequest | None:
        return self.financing_requests.get(request_id)

    def financing_offer(self, offer_id: str) -> FinancingOffer | None:
        return self.financing_offers.get(offer_id)

    def financing_offers_of(self, request_id: str) -> list[FinancingOffer]:
        return sorted(
            (o for o in self.financing_offers.values() if o.request_id == request_id),
            key=lambda o: o.id,
        )

    def early_payment_offer(self, offer_id: str) -> EarlyPaymentOffer | None:
        return self.early_payment_offers.get(offer_id)

    def approval(self, approval_id: str) -> Approval | None:
        return self.approvals.get(approval_id)

    def exposure(self, key: str) -> int:
        return self.exposures.get(key, 0)

    def org_key(self, key_id: str) -> OrgKey | None:
        return self.keys.get(key_id)

    def default_claim(self, claim_id: str) -> DefaultClaim | None:
        return self.default_claims.get(claim_id)

    def outstanding_of(self, obligor_id: str) -> list[Receivable]:
        return sorted(
            (
                r
                for r in self.receivables.values()
                if r.obligor_id == obligor_id and r.status in OUTSTANDING
            ),
            key=lambda r: r.id,
        )

    def org_keys(self, org_id: str) -> list[OrgKey]:
        return sorted(
            (k for k in self.keys.values() if k.org_id == org_id),
            key=lambda k: (k.valid_from, k.id),
        )

    def credit(self, credit_id: str) -> Credit | None:
        return self.credits.get(credit_id)

    def credits_of(self, program_id: str, supplier_id: str) -> list[Credit]:
        return sorted(
            (
                k
                for k in self.credits.values()
                if k.program_id == program_id and k.supplier_id == supplier_id
            ),
            key=lambda k: (k.recorded_on, k.id),
        )

    def dispute(self, dispute_id: str) -> Dispute | None:
        return self.disputes.get(dispute_id)

    def open_dispute(self, anchor_id: str, supplier_id: str, number: str) -> Dispute | None:
        key = exact_invoice_number_key(number)
        return next(
            (
                d
                for d in sorted(self.disputes.values(), key=lambda d: d.id)
                if d.anchor_id == anchor_id
                and d.supplier_id == supplier_id
                and d.number_key == key
                and d.status == "open"
            ),
            None,
        )

    def risk_model(self, model_id: str) -> RiskModel | None:
        return self.risk_models.get(model_id)

    def risk_decision(self, decision_id: str) -> RiskDecision | None:
        return self.risk_decisions.get(decision_id)

    def fraud_flag(self, flag_id: str) -> FraudFlag | None:
        return self.fraud_flags.get(flag_id)

    def open_fraud_flag(self, anchor_id: str, supplier_id: str, number: str) -> FraudFlag | None:
        flag_id = self.open_flags.get((anchor_id, supplier_id, exact_invoice_number_key(number)))
        return None if flag_id is None else self.fraud_flags[flag_id]

    def any_open_fraud_flag(self) -> bool:
        return bool(self.open_flags)

    def id_taken(self, prefix: str, record_id: str) -> bool:
        table: dict[str, object] = {
            "rcv": self.receivables,
            "fin": self.financing_requests,
            "ofr": self.financing_offers,
            "epo": self.early_payment_offers,
            "apr": self.approvals,
            "org": self.organisations,
            "usr": self.users,
            "prg": self.programs,
            "inv": self.invoices,
            "key": self.keys,
            "crd": self.credits,
            "dsp": self.disputes,
            "dfl": self.default_claims,
            "rmd": self.risk_models,
            "rdc": self.risk_decisions,
            "ffl": self.fraud_flags,
        }[prefix]  # type: ignore[assignment]
        assert isinstance(table, dict)
        return record_id in table

    def put(self, record: Record) -> None:
        if isinstance(record, Receivable):
            self.receivables[record.id] = record
        elif isinstance(record, Exposure):
            self.exposures[record.key] = record.outstanding_minor
        elif isinstance(record, Organisation):
            self.organisations[record.id] = record
        elif isinstance(record, User):
            self.users[record.id] = record
        elif isinstance(record, Program):
            self.programs[record.id] = record
        elif isinstance(record, Relationship):
            self.relationships[(record.program_id, record.supplier_id)] = record
        elif isinstance(record, Invoice):
            self.invoices[record.id] = record
            key = (record.anchor_id, record.supplier_id, exact_invoice_number_key(record.number))
            self.invoice_numbers[key] = record.id
        elif isinstance(record, FinancingRequest):
            self.financing_requests[record.id] = record
        elif isinstance(record, FinancingOffer):
            self.financing_offers[record.id] = record
        elif isinstance(record, EarlyPaymentOffer):
            self.early_payment_offers[record.id] = record
        elif isinstance(record, Approval):
            self.approvals[record.id] = record
        elif isinstance(record, OrgKey):
            self.keys[record.id] = record
        elif isinstance(record, Credit):
            self.credits[record.id] = record
        elif isinstance(record, Dispute):
            self.disputes[record.id] = record
        elif isinstance(record, DefaultClaim):
            self.default_claims[record.id] = record
        elif isinstance(record, RiskModel):
            self.risk_models[record.id] = record
        elif isinstance(record, RiskDecision):
            self.risk_decisions[record.id] = record
        elif isinstance(record, FraudFlag):
            self.fraud_flags[record.id] = record
            key = (record.anchor_id, record.supplier_id, record.number_key)
            if record.status == "open":
                self.open_flags[key] = record.id
            elif self.open_flags.get(key) == record.id:
                del self.open_flags[key]
        else:  # pragma: no cover - the union is closed
            raise AssertionError(f"unknown record {record!r}")
