"""Refusals speak in the currency: '90,000.00 EUR', never '9000000' minor units."""

from __future__ import annotations

import pytest

from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest, LimitExceeded, OpenSCFError

from ..tagging import tag
from .conftest import Network, build_network


def refusal(attempt) -> OpenSCFError:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenSCFError) as caught:
        attempt()
    return caught.value


def test_pieces_that_do_not_sum_are_named_in_euros(net: Network) -> None:
    error = refusal(
        lambda: net.world.run(
            net.s1,
            c.SplitReceivable(
                net.receivable_id,
                (60_000_00, 30_000_00),
                (tag(net.s1, "rcv_1"), tag(net.s1, "rcv_2")),
            ),
        )
    )
    assert isinstance(error, InvalidRequest) and error.code == "pieces_do_not_sum"
    assert error.message == "pieces sum to 90,000.00 EUR, the face is 100,000.00 EUR"


def test_a_transfer_above_the_face_is_named_in_euros(net: Network) -> None:
    error = refusal(
        lambda: net.world.run(
            net.s1,
            c.TransferReceivable(
                net.receivable_id,
                net.s2.org_id,
                100_000_01,
                tag(net.s1, "rcv_a"),
                tag(net.s1, "rcv_b"),
                tag(net.s1, "rcv_c"),
            ),
        )
    )
    assert error.code == "amount_exceeds_face"
    assert "100,000.01 EUR" in error.message and "100,000.00 EUR" in error.message


def test_fees_that_eat_the_face_are_named_in_euros(net: Network) -> None:
    net.world.run(net.s1, c.RequestFinancing(net.receivable_id, tag(net.s1, "fin_r")))
    error = refusal(
        lambda: net.world.run(
            net.funder,
            c.OfferFinancing(
                tag(net.s1, "fin_r"), "0.04", net.world.today, 100_000_00, tag(net.funder, "ofr_x")
            ),
        )
    )
    assert error.code == "proceeds_not_positive"
    assert "fees 100,000.00 EUR" in error.message and "face 100,000.00 EUR" in error.message


def test_a_limit_is_named_in_euros_not_minor_units() -> None:
    net = build_network(program_limit=150_000_00)
    error = refusal(lambda: net.confirm(60_000_00))
    assert isinstance(error, LimitExceeded) and error.code == "program_limit_exceeded"
    assert "limit is 150,000.00 EUR" in error.message
    assert "60,000.00 EUR more" in error.message
    assert "minor units" not in error.message
