"""An organisation that holds its own key can switch custody off; then the server signs
nothing for it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.domain.errors import Conflict, OpenSCFError, PermissionDenied
from openscf.store import tables as t
from openscf.trust.keys import SigningKey, encode_public_key

from ..conftest import Net
from ..tagging import tag


def _events(net: Net) -> int:
    with net.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def _refused(kind: type[OpenSCFError], code: str, work: object) -> None:
    with pytest.raises(kind) as err:
        work()  # type: ignore[operator]
    assert err.value.code == code, err.value


def _register_own_key(net: Net) -> RequestSigner:
    key = SigningKey.generate()
    key_id = net.svc.handle(
        net.anchor_user, c.RegisterKey(net.anchor, encode_public_key(key.public_key))
    ).created["key_id"]
    return RequestSigner(key_id, key)


def _signed(net: Net, signer: RequestSigner, command: c.Command) -> object:
    request = signer.sign(command, net.anchor, net.anchor_user, net.clock.now())
    return net.svc.handle_signed(request.request, request.key_id, request.signature)


def test_custody_stays_on_until_the_organisation_holds_a_key_of_its_own(net: Net) -> None:
    _refused(
        Conflict,
        "own_key_required",
        lambda: net.svc.handle(net.anchor_user, c.DisableCustody(net.anchor)),
    )


def test_no_other_organisation_and_not_the_operator_switches_custody_off(net: Net) -> None:
    _register_own_key(net)
    _refused(
        PermissionDenied,
        "wrong_organisation",
        lambda: net.svc.handle(net.funder_user, c.DisableCustody(net.anchor)),
    )
    _refused(
        PermissionDenied,
        "wrong_organisation",
        lambda: net.svc.handle(net.operator, c.DisableCustody(net.anchor)),
    )


def test_after_custody_is_off_the_server_refuses_to_sign_for_the_organisation(net: Net) -> None:
    signer = _register_own_key(net)
    net.svc.handle(net.anchor_user, c.DisableCustody(net.anchor))
    size = _events(net)
    _refused(PermissionDenied, "custody_disabled", lambda: net.confirm())
    assert _events(net) == size
    # Its custodial keys are revoked; the key it holds signs on.
    with net.svc.engine.connect() as conn:
        custodial = (
            conn.execute(
                select(t.org_keys.c.revoked_at).where(
                    t.org_keys.c.org_id == net.anchor, t.org_keys.c.custodial == 1
                )
            )
            .scalars()
            .all()
        )
    assert custodial and all(revoked is not None for revoked in custodial)
    _signed(
        net,
        signer,
        c.CreateProgram(
            "Own", "EUR", 90, 10**9, 10**8, 10**8, program_id=tag(net.anchor, "prg_own")
        ),
    )
    assert _events(net) == size + 1
    # Switching it off twice, or back on with a new custodial key, is refused.
    _refused(
        Conflict, "custody_disabled", lambda: _signed(net, signer, c.DisableCustody(net.anchor))
    )
    _refused(
        Conflict,
        "custody_disabled",
        lambda: _signed(
            net,
            signer,
            c.RegisterKey(
                net.anchor,
                encode_public_key(SigningKey.generate().public_key),
                custodial=True,
                key_id=tag(net.anchor, "key_backdoor"),
            ),
        ),
    )


def test_after_custody_is_off_the_operator_neither_manages_its_keys_nor_seeds_checkers(
    net: Net,
) -> None:
    _register_own_key(net)
    net.svc.handle(net.anchor_user, c.DisableCustody(net.anchor))
    _refused(
        PermissionDenied,
        "custody_disabled",
        lambda: net.svc.handle(
            net.operator,
            c.RegisterKey(net.anchor, encode_public_key(SigningKey.generate().public_key)),
        ),
    )
    _refused(
        PermissionDenied,
        "approval_permission_needs_grant",
        lambda: net.svc.handle(
            net.operator, c.AddUser(net.anchor, "operator's checker", ("checker",))
        ),
    )
