"""Builds a network of anchors, funders and suppliers through the app service: the one
place tests, benches and demos set up who is on the network and in which program.

    builder = NetworkBuilder(service)            # bootstraps the operator if not given one
    anchor = builder.anchor("Anchor AG")         # an organisation and its first user
    funder = builder.funder("Bank AG")
    supplier = builder.supplier("Supplier 0")
    program_id = builder.program(anchor, "P", funders=[funder], suppliers=[supplier])

or in one call, the network most tests and benches start from:

    net = standard_network(service, suppliers=3)   # a frozen record of ids

Every step is an ordinary command through `NetworkService.handle`, so the builder can only
build what the domain rules allow, and the log holds the network like any other. Ids of
the network's objects are chosen by the service; ids a client must choose itself (benches
that build commands ahead) come from `client_id`, the one function that makes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openscf.app import NetworkService
from openscf.domain import commands as c
from openscf.domain.ids import tagged_id

__all__ = [
    "BIC",
    "IBAN",
    "UNLIMITED_MINOR",
    "Firm",
    "NetworkBuilder",
    "StandardNetwork",
    "client_id",
    "standard_network",
]

# A valid German account, shared by every firm that does not need one of its own.
IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
# Limits no bench run reaches: programs that never refuse for size.
UNLIMITED_MINOR = 2**62
# A test program's limits: 10^10 in all, 10^9 per supplier and per funder.
PROGRAM_LIMIT_MINOR = 10**10
PARTY_LIMIT_MINOR = 10**9
# Above any test's confirmation: nothing waits for a checker unless a test lowers it.
APPROVAL_THRESHOLD_MINOR = 10**12
FIRST_USER_PERMISSIONS = ("admin", "maker")


def client_id(prefix: str, org_id: str, name: str) -> str:
    """An id chosen by the client acting for `org_id`: `prefix` as the service's own
    ids have it (`rcv`, `fin`, ...) and `name`, unique within the caller's run, in the
    acting organisation's namespace (`<prefix>_<org body>.<name>`)."""
    return tagged_id(prefix, org_id, name)


@dataclass(frozen=True)
class Firm:
    """An organisation on the network and its first user (by default an admin and maker)."""

    org_id: str
    user_id: str


@dataclass(frozen=True)
class StandardNetwork:
    """One anchor's program with one funder and its suppliers, all onboarded."""

    operator_user: str
    anchor: Firm
    # The anchor's second user (a checker) and a read-only user; None when not asked for.
    anchor_checker: str | None
    anchor_viewer: str | None
    funder: Firm
    suppliers: tuple[Firm, ...]
    program_id: str


class NetworkBuilder:
    """Registers organisations and users as the operator, and programs as their anchor."""

    def __init__(self, service: NetworkService, operator_user: str | None = None) -> None:
        self.service = service
        if operator_user is None:
            _, operator_user = service.bootstrap_operator()
        self.operator_user = operator_user

    def _created(self, user_id: str, command: c.Command, field: str) -> str:
        return str(self.service.handle(user_id, command).created[field])

    def organisation(
        self,
        name: str,
        roles: tuple[str, ...],
        *,
        iban: str | None = IBAN,
        bic: str | None = BIC,
        lei: str | None = None,
        custodial_key: bool = True,
    ) -> str:
        """A registered organisation without users; its id."""
        return self._created(
            self.operator_user,
            c.RegisterOrganisation(
                name, roles, "DE", lei=lei, iban=iban, bic=bic, custodial_key=custodial_key
            ),
            "org_id",
        )

    def user(self, org_id: str, name: str, permissions: tuple[str, ...]) -> str:
        """A user of `org_id`, added by the operator; its id."""
        return self._created(self.operator_user, c.AddUser(org_id, name, permissions), "user_id")

    def firm(
        self,
        name: str,
        roles: tuple[str, ...],
        *,
        user_name: str | None = None,
        permissions: tuple[str, ...] = FIRST_USER_PERMISSIONS,
        iban: str | None = IBAN,
        bic: str | None = BIC,
        lei: str | None = None,
        custodial_key: bool = True,
    ) -> Firm:
        """An organisation and its first user (named after the firm unless `user_name`)."""
        org_id = self.organisation(
            name, roles, iban=iban, bic=bic, lei=lei, custodial_key=custodial_key
        )
        return Firm(org_id, self.user(org_id, user_name or name, permissions))

    def anchor(self, name: str, **firm: Any) -> Firm:
        return self.firm(name, ("anchor",), **firm)

    def funder(self, name: str, **firm: Any) -> Firm:
        return self.firm(name, ("funder",), **firm)

    def supplier(self, name: str, **firm: Any) -> Firm:
        return self.firm(name, ("supplier",), **firm)

    def key(self, org_id: str, public_key: str) -> str:
        """Register an organisation's own public key; the key id."""
        return self._created(self.operator_user, c.RegisterKey(org_id, public_key), "key_id")

    def program(
        self,
        anchor: Firm,
        name: str = "P",
        *,
        funders: Iterable[Firm | str] = (),
        suppliers: Iterable[Firm | str] = (),
        max_tenor_days: int = 180,
        program_limit_minor: int = PROGRAM_LIMIT_MINOR,
        supplier_limit_minor: int = PARTY_LIMIT_MINOR,
        funder_limit_minor: int = PARTY_LIMIT_MINOR,
        approval_threshold_minor: int = APPROVAL_THRESHOLD_MINOR,
    ) -> str:
        """A EUR program of `anchor`'s, with its funders added and suppliers onboarded."""
        program_id = self._created(
            anchor.user_id,
            c.CreateProgram(
                name,
                "EUR",
                max_tenor_days,
                program_limit_minor,
                supplier_limit_minor,
                funder_limit_minor,
                approval_threshold_minor=approval_threshold_minor,
            ),
            "program_id",
        )
        for funder in funders:
            self.service.handle(anchor.user_id, c.AddFunder(program_id, _org(funder)))
        for supplier in suppliers:
            self.onboard(anchor, program_id, supplier)
        return program_id

    def onboard(self, anchor: Firm, program_id: str, supplier: Firm | str) -> None:
        self.service.handle(anchor.user_id, c.OnboardSupplier(program_id, _org(supplier)))


def _org(firm: Firm | str) -> str:
    return firm.org_id if isinstance(firm, Firm) else firm


def standard_network(
    service: NetworkService,
    *,
    suppliers: int | Sequence[str] = 3,
    anchor_name: str = "Anchor AG",
    funder_name: str = "Bank AG",
    program_name: str = "P",
    anchor_checker_and_viewer: bool = True,
    limit_minor: int | None = None,
    approval_threshold_minor: int = APPROVAL_THRESHOLD_MINOR,
) -> StandardNetwork:
    """Operator, anchor (with a checker and a viewer unless told not to), one funder and
    `suppliers` (a count, or their names), and the anchor's program holding them all.

    `limit_minor` sets every program limit at once (benches: `UNLIMITED_MINOR`); without
    it the program has a test program's limits."""
    builder = NetworkBuilder(service)
    anchor = builder.anchor(anchor_name)
    checker = viewer = None
    if anchor_checker_and_viewer:
        checker = builder.user(anchor.org_id, "controller", ("checker",))
        viewer = builder.user(anchor.org_id, "auditor", ("viewer",))
    funder = builder.funder(funder_name)
    names = [f"Supplier {i}" for i in range(suppliers)] if isinstance(suppliers, int) else suppliers
    firms = tuple(builder.supplier(name) for name in names)
    program_id = builder.program(
        anchor,
        program_name,
        funders=[funder],
        suppliers=firms,
        program_limit_minor=limit_minor or PROGRAM_LIMIT_MINOR,
        supplier_limit_minor=limit_minor or PARTY_LIMIT_MINOR,
        funder_limit_minor=limit_minor or PARTY_LIMIT_MINOR,
        approval_threshold_minor=approval_threshold_minor,
    )
    return StandardNetwork(
        builder.operator_user, anchor, checker, viewer, funder, firms, program_id
    )
