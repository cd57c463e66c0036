"""The network builder that tests and benches share: what `standard_network` and
`NetworkBuilder` put on the network is what their callers rely on."""

from __future__ import annotations

from sqlalchemy import Engine

from openscf.app import FixedClock, NetworkService
from openscf.sim.network_builder import (
    UNLIMITED_MINOR,
    NetworkBuilder,
    client_id,
    standard_network,
)
from openscf.store import unit_of_work

from ..conftest import START


def test_the_standard_network_is_one_program_holding_its_funder_and_every_supplier(
    engine: Engine,
) -> None:
    svc = NetworkService(engine, FixedClock(START), seed=3)
    net = standard_network(svc, suppliers=["S0", "S1"], approval_threshold_minor=5_000_00)
    with unit_of_work(engine) as uow:
        program = uow.state.program(net.program_id)
        assert program is not None
        assert program.anchor_id == net.anchor.org_id
        assert program.funder_ids == (net.funder.org_id,)
        assert program.approval_threshold_minor == 5_000_00
        assert [
            uow.state.relationship(net.program_id, s.org_id) is not None for s in net.suppliers
        ] == [True, True]
        names = [
            uow.state.organisation(s.org_id).name  # type: ignore[union-attr]
            for s in net.suppliers
        ]
        assert names == ["S0", "S1"]
        assert net.anchor_checker is not None and net.anchor_viewer is not None
        checker, viewer = uow.state.user(net.anchor_checker), uow.state.user(net.anchor_viewer)
        assert checker is not None and checker.org_id == net.anchor.org_id
        assert checker.permissions == ("checker",)
        assert viewer is not None and viewer.permissions == ("viewer",)
        maker = uow.state.user(net.suppliers[0].user_id)
        assert maker is not None and maker.permissions == ("admin", "maker")


def test_a_bench_network_has_no_anchor_staff_and_no_limits(engine: Engine) -> None:
    svc = NetworkService(engine, FixedClock(START), seed=3)
    net = standard_network(
        svc, suppliers=1, anchor_checker_and_viewer=False, limit_minor=UNLIMITED_MINOR
    )
    assert net.anchor_checker is None and net.anchor_viewer is None
    with unit_of_work(engine) as uow:
        program = uow.state.program(net.program_id)
        assert program is not None
        assert (
            program.program_limit_minor,
            program.supplier_limit_minor,
            program.funder_limit_minor,
        ) == (UNLIMITED_MINOR,) * 3


def test_a_second_builder_on_the_same_network_acts_as_the_same_operator(engine: Engine) -> None:
    svc = NetworkService(engine, FixedClock(START), seed=3)
    first = NetworkBuilder(svc)
    again = NetworkBuilder(svc, first.operator_user)
    firm = again.firm("Audit GmbH", ("auditor",), permissions=("viewer",), iban=None, bic=None)
    with unit_of_work(engine) as uow:
        org = uow.state.organisation(firm.org_id)
        assert org is not None and org.roles == ("auditor",) and org.iban is None
        user = uow.state.user(firm.user_id)
        assert user is not None and user.name == "Audit GmbH"


def test_client_ids_keep_the_prefix_the_service_gives_that_kind_of_object() -> None:
    made = client_id("rcv", "org_x", "b0x1r")
    assert made.startswith("rcv_") and "b0x1r" in made
    assert client_id("rcv", "org_x", "a") != client_id("rcv", "org_x", "b")
