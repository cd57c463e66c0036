"""The auditor rejects histories containing a forbidden act.

Each test lets the service write an honest history, then appends events built by hand,
signed with a key the forger really holds (the organisation's custodial key, which the
server keeps), as a compromised server or admin would. The signatures verify; the rules
replayed by the auditor refuse the act.
"""

from __future__ import annotations

import base64
from datetime import date

from sqlalchemy import Engine, select

from openscf.app.audit import AuditReport, LogSource, audit, db_source
from openscf.app.service import request_text
from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.events import REQUEST_SIGNING_CONTEXT, EventRecord, record_to_data
from openscf.store import tables as t
from openscf.store.queries import iter_event_bodies
from openscf.trust.canonical import canonical_bytes
from openscf.trust.keys import SigningKey, encode_public_key

from ..conftest import Net, build_net
from ..tagging import tag

NEW_IBAN = "NL91ABNA0417164300"
NEW_BIC = "ABNANL2AXXX"


def _custodial_key(net: Net, org_id: str) -> tuple[str, SigningKey]:
    """The organisation's custodial key, as the server holds it."""
    with net.svc.engine.connect() as conn:
        key_id = conn.execute(
            select(t.org_keys.c.id).where(
                t.org_keys.c.org_id == org_id, t.org_keys.c.custodial == 1
            )
        ).scalar_one()
    return key_id, net.svc._signers[key_id]


def _forge(
    net: Net,
    n: int,
    org_id: str,
    user_id: str,
    command: c.Command,
    events: list[ev.Event],
    key: tuple[str, SigningKey],
) -> list[EventRecord]:
    """Events for `command`, signed with `key` as if the service had logged them."""
    now = net.clock.now()
    request = request_text(command, org_id, user_id, now)
    signature = base64.b64encode(key[1].sign(REQUEST_SIGNING_CONTEXT + request.encode()))
    auth = ev.Auth(key[0], True, request, signature.decode())
    return [
        EventRecord(f"evt_forged{n}x{i}", org_id, user_id, now, e, None, auth)
        for i, e in enumerate(events)
    ]


def _audit_with(engine: Engine, forged: list[EventRecord]) -> tuple[int, AuditReport]:
    """Audit the stored log followed by `forged`; returns the first forged sequence number."""
    with engine.connect() as conn:
        bodies = [row for rows in iter_event_bodies(conn) for row in rows]
        origin, vkey = conn.execute(select(t.log_identity.c.origin, t.log_identity.c.vkey)).one()
    first = len(bodies) + 1
    bodies += [(first + i, canonical_bytes(record_to_data(r))) for i, r in enumerate(forged)]
    source = LogSource(origin, vkey, lambda: iter(bodies), [], [], {}, None, None, None)
    return first, audit(source)


def test_a_checker_approving_its_sponsors_bank_account_change_is_rejected(net: Net) -> None:
    admin, honest = net.anchor_user, net.anchor_checker
    puppet = net.svc.handle(admin, c.AddUser(net.anchor, "puppet", ("maker",))).created["user_id"]
    grant = net.svc.handle(admin, c.GrantPermission(puppet, "checker")).created["approval_id"]
    net.svc.handle(honest, c.ApprovePermissionGrant(grant))
    change = net.svc.handle(
        admin, c.RequestBankAccountChange(net.anchor, NEW_IBAN, NEW_BIC)
    ).created["approval_id"]
    assert audit(db_source(net.svc.engine)).ok
    forged = _forge(
        net,
        1,
        net.anchor,
        puppet,
        c.ApproveBankAccountChange(change),
        [ev.BankAccountChanged(net.anchor, NEW_IBAN, NEW_BIC, change, puppet)],
        _custodial_key(net, net.anchor),
    )
    first, report = _audit_with(net.svc.engine, forged)
    assert not report.ok
    finding = report.findings[0]
    assert (finding.seq, finding.code) == (first, "not_derivable")
    assert "approver_sponsored_by_maker" in finding.message


def test_a_checker_an_admin_created_alone_is_rejected_with_all_it_approved(engine: Engine) -> None:
    """The attack as it happened: the admin adds a checker itself, and it approves a
    confirmation above the approval threshold that the admin made."""
    net = build_net(engine, threshold=50_000_00)
    admin, key = net.anchor_user, _custodial_key(net, net.anchor)
    due = date(2026, 5, 29)  # a Friday: the maturity is the due date
    amount = 60_000_00
    puppet, inv, rcv, apr = (
        tag(net.anchor, name) for name in ("usr_puppet", "inv_big", "rcv_big", "apr_big")
    )
    add = _forge(
        net,
        1,
        net.anchor,
        admin,
        c.AddUser(net.anchor, "puppet", ("checker",), user_id=puppet),
        [ev.UserAdded(puppet, net.anchor, "puppet", ("checker",))],
        key,
    )
    ask = _forge(
        net,
        2,
        net.anchor,
        admin,
        c.ConfirmInvoice(
            net.program_id,
            net.suppliers[0],
            "INV-BIG",
            amount,
            "EUR",
            due,
            invoice_id=inv,
            receivable_id=rcv,
            approval_id=apr,
        ),
        [
            ev.ConfirmationRequested(
                apr,
                net.program_id,
                net.anchor,
                net.suppliers[0],
                admin,
                inv,
                "INV-BIG",
                rcv,
                amount,
                "EUR",
                due,
            )
        ],
        key,
    )
    approve = _forge(
        net,
        3,
        net.anchor,
        puppet,
        c.ApproveConfirmation(apr),
        [
            ev.ReceivableIssued(
                rcv,
                net.program_id,
                net.anchor,
                net.suppliers[0],
                inv,
                "INV-BIG",
                amount,
                "EUR",
                due,
                due,
                admin,
                apr,
                puppet,
            )
        ],
        key,
    )
    first, report = _audit_with(net.svc.engine, add + ask + approve)
    by_seq = {f.seq: f for f in report.findings}
    assert report.findings[0].seq == first
    assert by_seq[first].code == "not_derivable"
    assert "approval_permission_needs_grant" in by_seq[first].message
    assert first + 1 not in by_seq  # the admin's own request is an ordinary one
    assert by_seq[first + 2].code == "not_derivable"
    assert "approver_sponsored_by_maker" in by_seq[first + 2].message


def test_the_operator_seeding_a_third_checker_is_rejected(net: Net) -> None:
    net.svc.handle(net.operator, c.AddUser(net.anchor, "second controller", ("checker",)))
    with net.svc.engine.connect() as conn:
        operator_org = conn.execute(
            select(t.users.c.org_id).where(t.users.c.id == net.operator)
        ).scalar_one()
    third = tag(net.anchor, "usr_third")
    command = c.AddUser(net.anchor, "third controller", ("checker",), user_id=third)
    forged = _forge(
        net,
        1,
        operator_org,
        net.operator,
        command,
        [ev.UserAdded(third, net.anchor, "third controller", ("checker",))],
        _custodial_key(net, operator_org),
    )
    first, report = _audit_with(net.svc.engine, forged)
    assert (report.findings[0].seq, report.findings[0].code) == (first, "not_derivable")
    assert "approval_permission_needs_grant" in report.findings[0].message


def _own_key(net: Net) -> RequestSigner:
    """The anchor registers a key it holds itself, then switches custody off."""
    key = SigningKey.generate()
    key_id = net.svc.handle(
        net.anchor_user, c.RegisterKey(net.anchor, encode_public_key(key.public_key))
    ).created["key_id"]
    net.svc.handle(net.anchor_user, c.DisableCustody(net.anchor))
    return RequestSigner(key_id, key)


def test_an_event_signed_by_a_custodial_key_after_custody_was_switched_off_is_rejected(
    net: Net,
) -> None:
    custodial = _custodial_key(net, net.anchor)
    _own_key(net)
    net.clock.advance(minutes=1)
    assert audit(db_source(net.svc.engine)).ok
    forged_id = tag(net.anchor, "prg_forged")
    command = c.CreateProgram("Forged", "EUR", 90, 10**9, 10**8, 10**8, program_id=forged_id)
    forged = _forge(
        net,
        1,
        net.anchor,
        net.anchor_user,
        command,
        [
            ev.ProgramCreated(
                forged_id,
                net.anchor,
                "Forged",
                "EUR",
                90,
                10**9,
                10**8,
                10**8,
                "ACT/360",
                "TARGET",
                0,
                30,
            )
        ],
        custodial,
    )
    first, report = _audit_with(net.svc.engine, forged)
    codes = {f.code for f in report.findings if f.seq == first}
    assert "custody_disabled" in codes
    assert report.findings[0].seq == first


def test_the_audit_report_counts_custodial_and_own_key_signatures_per_organisation(
    net: Net,
) -> None:
    signer = _own_key(net)
    before = audit(db_source(net.svc.engine)).signed_by[net.anchor]
    assert before["own_key"] == 0 and before["custodial"] > 0
    signed = signer.sign(
        c.CreateProgram("Own", "EUR", 90, 10**9, 10**8, 10**8),
        net.anchor,
        net.anchor_user,
        net.clock.now(),
    )
    net.svc.handle_signed(signed.request, signed.key_id, signed.signature)
    report = audit(db_source(net.svc.engine))
    assert report.ok
    assert report.signed_by[net.anchor] == {"custodial": before["custodial"], "own_key": 1}
    assert report.to_dict()["signed_by"][net.anchor]["own_key"] == 1
    others = {org: counts for org, counts in report.signed_by.items() if org != net.anchor}
    assert others and all(v["own_key"] == 0 and v["custodial"] > 0 for v in others.values())
