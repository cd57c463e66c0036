"""Client-chosen ids live in their organisation's namespace (docs/permissions.md,
"Client-supplied ids"): ``<prefix>_<org body>.<key>``. An id outside the acting
organisation's namespace is refused from the id alone, before any lookup, so the answer
never says whether another organisation uses it; network-minted ids are exempt."""

from __future__ import annotations

import pytest

from openscf.domain import commands as c
from openscf.domain.errors import Conflict, InvalidRequest, OpenSCFError
from openscf.domain.ids import check_new_id, is_minted, make_id, tagged_id

from ..tagging import tag
from .conftest import OPERATOR, Network


def _refusal(attempt) -> OpenSCFError:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenSCFError) as caught:
        attempt()
    return caught.value


def _split(net: Network, actor, ids: tuple[str, str]):  # type: ignore[no-untyped-def]
    return lambda: net.world.run(
        actor, c.SplitReceivable(net.receivable_id, (1, 100_000_00 - 1), ids)
    )


def test_an_id_in_another_namespace_is_refused_alike_whether_used_or_not(net: Network) -> None:
    used = tag(net.s2, "rcv_erp-4711")
    net.world.run(
        net.s2,
        c.RequestBankAccountChange(
            net.s2.org_id, "DE89370400440532013000", "COBADEFFXXX", tag(net.s2, "apr_4711")
        ),
    )
    net.confirm(supplier=net.s2)  # S2 holds a piece
    piece = next(r for r in net.world.state.receivables.values() if r.holder_id == net.s2.org_id)
    net.world.run(
        net.s2,
        c.SplitReceivable(piece.id, (1, piece.face_minor - 1), (used, tag(net.s2, "rcv_other"))),
    )
    unused = tag(net.s2, "rcv_erp-4712")
    log = list(net.world.log)
    on_used = _refusal(_split(net, net.s1, (used, tag(net.s1, "rcv_b"))))
    on_unused = _refusal(_split(net, net.s1, (unused, tag(net.s1, "rcv_b"))))
    assert isinstance(on_used, InvalidRequest) and on_used.code == "invalid_id"
    assert (on_used.code, on_used.param) == (on_unused.code, on_unused.param)
    assert on_used.message == on_unused.message.replace(unused, used)
    assert f"'rcv_{net.s1.org_id[4:]}.'" in on_used.message
    assert net.world.log == log


def test_id_in_use_answers_only_inside_the_own_namespace(net: Network) -> None:
    mine = tag(net.s1, "rcv_a")
    net.world.run(
        net.s1,
        c.SplitReceivable(net.receivable_id, (1, 100_000_00 - 1), (mine, tag(net.s1, "rcv_b"))),
    )
    refused = _refusal(
        lambda: net.world.run(
            net.s1, c.TransferReceivable(mine, net.s2.org_id, new_receivable_id=mine)
        )
    )
    assert isinstance(refused, Conflict) and refused.code == "id_in_use"


def test_a_network_minted_id_needs_no_tag_and_a_malformed_tag_is_refused() -> None:
    minted = make_id("rcv", 1_700_000_000_000, bytes(range(10)))
    assert is_minted("rcv", minted)
    assert check_new_id("rcv", minted, "receivable_id", "org_acme") == minted
    assert check_new_id("rcv", "rcv_acme.erp-1", "receivable_id", "org_acme") == "rcv_acme.erp-1"
    with pytest.raises(InvalidRequest) as info:  # a body is at most 64 characters
        check_new_id("rcv", "rcv_acme." + "k" * 60, "receivable_id", "org_acme")
    assert info.value.code == "invalid_id"
    for bad in ("rcv_acme.", "rcv_acme", "rcv_acme-x.1", "rcv_acmex.1", "rcv_erp-4711"):
        with pytest.raises(InvalidRequest) as info:
            check_new_id("rcv", bad, "receivable_id", "org_acme")
        assert info.value.code == "invalid_id", bad
        assert "'rcv_acme.'" in info.value.message


@pytest.mark.parametrize("org_id", ["org_acme.x", "org_" + "a" * 33])
def test_an_organisation_id_with_a_dot_or_too_long_is_refused(net: Network, org_id: str) -> None:
    """With no '.' in an org body, no namespace is a prefix of another (acme, acme.x)."""
    log = list(net.world.log)
    refused = _refusal(
        lambda: net.world.run(
            OPERATOR,
            c.RegisterOrganisation(
                "Dotted", ("supplier",), "DE", org_id=org_id, custodial_key=False
            ),
        )
    )
    assert (refused.code, refused.param) == ("invalid_id", "org_id")
    assert net.world.log == log


def test_the_operator_chooses_ids_in_the_namespace_of_the_organisation_it_acts_for(
    net: Network,
) -> None:
    w = net.world
    w.run(
        OPERATOR,
        c.RegisterOrganisation(
            "Acme",
            ("supplier",),
            "DE",
            org_id="org_acme",
            key_id=tagged_id("key", "org_acme", "1"),
            public_key=w.state.org_keys(net.s1.org_id)[0].public_key[:-4] + "AAA=",
        ),
    )
    w.run(OPERATOR, c.AddUser("org_acme", "Acme admin", ("admin",), tag("org_acme", "usr_1")))
    assert w.state.user(tag("org_acme", "usr_1")) is not None
    for user_id in (tag(OPERATOR, "usr_2"), tag(net.s1, "usr_2")):
        refused = _refusal(
            lambda user_id=user_id: w.run(  # type: ignore[misc]
                OPERATOR, c.AddUser("org_acme", "planted", ("viewer",), user_id)
            )
        )
        assert (refused.code, refused.param) == ("invalid_id", "user_id")
