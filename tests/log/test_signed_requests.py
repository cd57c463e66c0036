"""Every event is signed by the acting organisation: custodial keys on the server, or the
organisation's own key on the client side. Bad signatures change nothing."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from openscf.app.audit import audit, db_source
from openscf.app.service import request_text
from openscf.client import complete_ids
from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest, PermissionDenied
from openscf.domain.events import REQUEST_SIGNING_CONTEXT
from openscf.store import tables as t
from openscf.store.queries import iter_events
from openscf.trust.keys import SigningKey, encode_public_key

from ..conftest import Net
from ..tagging import tag

DUE = date(2026, 5, 29)


def _sign(key: SigningKey, request: str) -> str:
    return base64.b64encode(key.sign(REQUEST_SIGNING_CONTEXT + request.encode())).decode()


def _log_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def test_custodial_events_carry_a_verifiable_signature_marked_custodial(net: Net) -> None:
    net.confirm()
    with net.svc.engine.connect() as conn:
        records = list(iter_events(conn))
    assert all(r.auth is not None for r in records)
    assert all(r.auth.custodial for r in records if r.auth)  # every org here is custodial
    assert audit(db_source(net.svc.engine)).ok


def test_a_client_signed_request_is_accepted_and_marked_not_custodial(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, key_id, key = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-1", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    command = c.SplitReceivable(rid, (400_00, 600_00), (tag(org, "rcv_c1"), tag(org, "rcv_c2")))
    request = request_text(command, org, user, net.clock.now())
    out = net.svc.handle_signed(request, key_id, _sign(key, request))
    assert out.created["piece_ids"] == [tag(org, "rcv_c1"), tag(org, "rcv_c2")]
    with net.svc.engine.connect() as conn:
        last = list(iter_events(conn))[-1]
    assert last.auth is not None and not last.auth.custodial and last.auth.key_id == key_id
    assert audit(db_source(net.svc.engine)).ok


def test_an_organisation_with_its_own_key_cannot_ask_the_server_to_sign(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, _, _ = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-2", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle(user, c.SplitReceivable(rid, (1, 1_000_00 - 1)))
    assert info.value.code == "signature_required"


@pytest.mark.parametrize(
    "attack",
    ["wrong_key", "tampered_request", "garbage_signature", "unknown_key", "other_orgs_key"],
)
def test_a_badly_signed_request_changes_nothing(
    net: Net, self_signer: tuple[str, str, str, SigningKey], attack: str
) -> None:
    org, user, key_id, key = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-3", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    command = c.TransferReceivable(
        rid, net.suppliers[0], None, tag(org, "rcv_t1"), tag(org, "rcv_t2"), tag(org, "rcv_t3")
    )
    request = request_text(command, org, user, net.clock.now())
    signature, used_key = _sign(key, request), key_id
    if attack == "wrong_key":
        signature = _sign(SigningKey.generate(), request)
    elif attack == "tampered_request":
        request = request.replace(net.suppliers[0], net.suppliers[1])
    elif attack == "garbage_signature":
        signature = "not base64!"
    elif attack == "unknown_key":
        used_key = "key_nope"
    elif attack == "other_orgs_key":
        with net.svc.engine.connect() as conn:
            used_key = conn.execute(
                select(t.org_keys.c.id).where(t.org_keys.c.org_id == net.anchor)
            ).scalar_one()
    before = _log_size(net.svc.engine)
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle_signed(request, used_key, signature)
    assert info.value.code in {"invalid_signature", "unknown_key"}
    assert _log_size(net.svc.engine) == before


def test_a_revoked_key_signs_nothing_more_but_its_past_signatures_stand(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, key_id, key = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-4", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    first = c.SplitReceivable(rid, (500_00, 500_00), (tag(org, "rcv_r1"), tag(org, "rcv_r2")))
    request = request_text(first, org, user, net.clock.now())
    net.svc.handle_signed(request, key_id, _sign(key, request))
    net.clock.advance(minutes=1)
    net.svc.handle(net.operator, c.RevokeKey(key_id, "laptop stolen"))
    net.clock.advance(minutes=1)
    later = c.TransferReceivable(
        tag(org, "rcv_r1"),
        net.suppliers[0],
        None,
        tag(org, "rcv_r3"),
        tag(org, "rcv_r4"),
        tag(org, "rcv_r5"),
    )
    request = request_text(later, org, user, net.clock.now())
    before = _log_size(net.svc.engine)
    with pytest.raises(PermissionDenied) as info:
        net.svc.handle_signed(request, key_id, _sign(key, request))
    assert info.value.code == "key_not_in_force"
    assert _log_size(net.svc.engine) == before
    assert audit(db_source(net.svc.engine)).ok  # the earlier signature is still valid


def test_after_rotation_only_the_new_key_signs(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, old_id, old = self_signer
    new = SigningKey.generate()
    net.clock.advance(seconds=1)
    new_id = net.svc.handle(
        net.operator, c.RegisterKey(org, encode_public_key(new.public_key), replaces=old_id)
    ).created["key_id"]
    net.clock.advance(seconds=1)
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-5", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    command = c.SplitReceivable(rid, (1, 1_000_00 - 1), (tag(org, "rcv_k1"), tag(org, "rcv_k2")))
    request = request_text(command, org, user, net.clock.now())
    with pytest.raises(PermissionDenied):
        net.svc.handle_signed(request, old_id, _sign(old, request))
    net.svc.handle_signed(request, new_id, _sign(new, request))
    assert audit(db_source(net.svc.engine)).ok


def test_a_stale_signed_request_is_refused(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, key_id, key = self_signer
    command = c.RequestFinancing("rcv_any", tag(org, "fin_stale"))
    request = request_text(command, org, user, net.clock.now() - timedelta(hours=1))
    with pytest.raises(InvalidRequest) as info:
        net.svc.handle_signed(request, key_id, _sign(key, request))
    assert info.value.code == "stale_request"


def test_a_signed_request_must_name_every_id_it_creates(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    org, user, key_id, key = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-6", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    request = request_text(c.RequestFinancing(rid), org, user, net.clock.now())
    with pytest.raises(InvalidRequest) as info:
        net.svc.handle_signed(request, key_id, _sign(key, request))
    assert info.value.code == "missing_id"


def test_a_client_signed_id_must_be_tagged_even_when_ulid_shaped(
    net: Net, self_signer: tuple[str, str, str, SigningKey]
) -> None:
    """Only the network mints untagged ids: a client that picks a ULID-shaped body itself
    is refused before anything is looked up, and the client library tags what it mints."""
    org, user, key_id, key = self_signer
    rid = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(net.program_id, org, "S-6", 1_000_00, "EUR", DUE)
    ).created["receivable_id"]
    ulid_shaped = net.svc.ids.new("rcv")
    command = c.SplitReceivable(rid, (1, 1_000_00 - 1), (ulid_shaped, tag(org, "rcv_u2")))
    request = request_text(command, org, user, net.clock.now())
    before = _log_size(net.svc.engine)
    with pytest.raises(InvalidRequest) as info:
        net.svc.handle_signed(request, key_id, _sign(key, request))
    assert (info.value.code, info.value.param) == ("invalid_id", "piece_ids")
    assert _log_size(net.svc.engine) == before
    completed = complete_ids(c.SplitReceivable(rid, (1, 1_000_00 - 1)), org)
    assert isinstance(completed, c.SplitReceivable) and completed.piece_ids
    assert all(p.startswith(f"rcv_{org[4:]}.") for p in completed.piece_ids)
