"""Random command sequences against a simple reference model, invariants after every step.

The reference model knows only holders and faces: a piece moves whole or in parts, and
the sum of a root's outstanding and paid pieces is its face. With recourse and dilution it
also knows the recourse obligations (a defaulted piece the funder put back: the seller owes
what it still lacked), the credits the anchor holds against each supplier (netted oldest
first against the supplier's next confirmation, never down to nothing) and the open
disputes (an invoice
disputed is not confirmed), and the open fraud flags (a flagged invoice is not confirmed,
no piece of it is financed or paid early, and only another checker of the operator or the
anchor clears the flag). The domain must agree with
it on every accepted command and refuse (with an error, changing nothing) what the model
says is impossible.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.model import OUTSTANDING
from openscf.domain.replay import recount_exposures, replay

from .conftest import OPERATOR, build_network


class ReceivablesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.net = build_network(program_limit=10**9, supplier_limit=4 * 10**8, recourse=True)
        self.world = self.net.world
        self.firms = [self.net.s1, self.net.s2, self.net.s3]
        # reference model: piece id -> [holder org, face, outstanding?]
        self.model: dict[str, list[object]] = {
            self.net.receivable_id: [self.net.s1.org_id, 100_000_00, True]
        }
        self.refused = 0
        # recourse obligation id -> [seller, face, paid?]
        self.recourse: dict[str, list[object]] = {}
        # supplier -> [[credit id, open amount], ...] in netting order
        self.credits: dict[str, list[list[object]]] = {}
        self.disputed: dict[str, str] = {}  # open dispute id -> invoice number
        # Money in, per piece: what the obligor paid, what recoveries brought.
        self.paid: dict[str, int] = {}
        self.recovered: dict[str, int] = {}
        self.op_maker = self.world.second_user(OPERATOR)
        self.claim: str | None = None
        # open fraud flag id -> the invoice id it holds back (None: not confirmed yet)
        self.flags: dict[str, str | None] = {}

    def _live(self) -> list[str]:
        return sorted(p for p, (_, _, out) in self.model.items() if out)

    def _attempt(self, actor, command) -> bool:  # type: ignore[no-untyped-def]
        before = copy.deepcopy(self.world.state)
        log_len = len(self.world.log)
        try:
            self.world.run(actor, command)
        except OpenSCFError:
            self.refused += 1
            assert len(self.world.log) == log_len
            assert self.world.state == before, "a refused command changed the state"
            return False
        return True

    @rule(firm=st.integers(0, 2), amount=st.integers(1, 50_000_000), days=st.integers(10, 170))
    def confirm(self, firm: int, amount: int, days: int) -> None:
        rid = self.world.new("rcv")
        supplier = self.firms[firm].org_id
        ok = self._attempt(
            self.net.anchor,
            c.ConfirmInvoice(
                self.net.program_id,
                supplier,
                self.world.new("INV"),
                amount,
                "EUR",
                self.world.today + timedelta(days=days),
                self.world.new("inv"),
                rid,
                self.world.new("apr"),
            ),
        )
        if ok:
            self.model[rid] = [supplier, amount - self._net(supplier, amount), True]

    def _net(self, supplier: str, amount: int) -> int:
        """What the model nets off a confirmation: open credits, oldest first, never all."""
        room, netted = amount - 1, 0
        for credit in self.credits.get(supplier, []):
            take = min(int(credit[1]), room - netted)  # type: ignore[call-overload]
            credit[1] = int(credit[1]) - take  # type: ignore[call-overload]
            netted += take
        return netted

    @precondition(lambda self: self._live())
    @rule(data=st.data(), parts=st.integers(2, 4), actor=st.integers(0, 2))
    def split(self, data: st.DataObject, parts: int, actor: int) -> None:
        pid = data.draw(st.sampled_from(self._live()))
        holder, face, _ = self.model[pid]
        assert isinstance(face, int)
        cuts = sorted(
            data.draw(st.lists(st.integers(0, face), min_size=parts - 1, max_size=parts - 1))
        )
        amounts = tuple(b - a for a, b in zip([0, *cuts], [*cuts, face], strict=True))
        ids = tuple(self.world.new("rcv") for _ in amounts)
        expected = holder == self.firms[actor].org_id and min(amounts) > 0 and self._movable(pid)
        ok = self._attempt(self.firms[actor], c.SplitReceivable(pid, amounts, ids))
        assert ok == expected, (ok, expected)
        if ok:
            self.model[pid][2] = False
            for new_id, amount in zip(ids, amounts, strict=True):
                self.model[new_id] = [holder, amount, True]

    def _movable(self, pid: str) -> bool:
        piece = self.world.state.receivable(pid)
        assert piece is not None
        return (
            piece.status == "live" and piece.encumbrance is None and self.world.today < piece.due_on
        )

    @precondition(lambda self: self._live())
    @rule(
        data=st.data(),
        actor=st.integers(0, 2),
        to=st.integers(0, 2),
        fraction=st.sampled_from([None, 1, 2, 3]),
    )
    def transfer(self, data: st.DataObject, actor: int, to: int, fraction: int | None) -> None:
        pid = data.draw(st.sampled_from(self._live()))
        holder, face, _ = self.model[pid]
        assert isinstance(face, int)
        amount = None if fraction is None else face * fraction // 4
        ids = [self.world.new("rcv") for _ in range(3)]
        expected = (
            holder == self.firms[actor].org_id
            and actor != to
            and self._movable(pid)
            and (amount is None or amount > 0)
        )
        ok = self._attempt(
            self.firms[actor], c.TransferReceivable(pid, self.firms[to].org_id, amount, *ids)
        )
        assert ok == expected
        if ok:
            self.model[pid][2] = False
            moved = face if amount is None else amount
            self.model[ids[0]] = [self.firms[to].org_id, moved, True]
            if moved != face:
                self.model[ids[2]] = [holder, face - moved, True]

    @precondition(lambda self: self._live())
    @rule(data=st.data(), rate=st.sampled_from(["0.01", "0.045", "0.12"]))
    def finance(self, data: st.DataObject, rate: str) -> None:
        pid = data.draw(st.sampled_from(self._live()))
        holder = self.model[pid][0]
        actor = next((f for f in self.firms if f.org_id == holder), None)
        if actor is None:  # the funder holds it already
            return
        fin, ofr, new = self.world.new("fin"), self.world.new("ofr"), self.world.new("rcv")
        if not self._attempt(actor, c.RequestFinancing(pid, fin)):
            return
        assert not self._flagged(pid), "a piece of a flagged invoice was put up for financing"
        assert self._attempt(self.net.funder, c.OfferFinancing(fin, rate, self.world.today, 0, ofr))
        assert self._attempt(actor, c.AcceptFinancingOffer(ofr, new))
        self.model[pid][2] = False
        self.model[new] = [self.net.funder.org_id, self.model[pid][1], True]

    @precondition(lambda self: self._live())
    @rule(data=st.data(), actor=st.sampled_from(["anchor", "s1"]))
    def settle_or_pay_early(self, data: st.DataObject, actor: str) -> None:
        pid = data.draw(st.sampled_from(self._live()))
        piece = self.world.state.receivable(pid)
        assert piece is not None
        if self.world.today < piece.due_on:
            epo = self.world.new("epo")
            if self._attempt(
                getattr(self.net, actor), c.OfferEarlyPayment(pid, "0.03", self.world.today, epo)
            ):
                holder = next(
                    f for f in [*self.firms, self.net.funder] if f.org_id == piece.holder_id
                )
                if self._attempt(holder, c.AcceptEarlyPayment(epo)):
                    assert not self._flagged(pid), "a piece of a flagged invoice was paid early"
                    self.model[pid][2] = False
        elif self._attempt(getattr(self.net, actor), c.SettleReceivable(pid)):
            assert actor == "anchor"
            self.model[pid][2] = False

    @precondition(lambda self: self._funded())
    @rule(data=st.data())
    def default_and_put_back(self, data: st.DataObject) -> None:
        """The anchor lets a funder's piece default; the funder puts it back to the seller."""
        pid = data.draw(st.sampled_from(self._funded()))
        piece = self.world.state.receivable(pid)
        assert piece is not None
        if piece.status == "live":
            self._attempt(self.net.anchor, c.MarkOverdue(pid))
        if self.world.state.receivables[pid].status == "overdue":
            self._attempt(self.net.anchor, c.MarkDefaulted(pid))
        defaulted = self.world.state.receivables[pid].status == "defaulted"
        lacking = self._owed(pid)
        back, owed = self.world.new("rcv"), self.world.new("rcv")
        ok = self._attempt(self.net.funder, c.PutBackReceivable(pid, back, owed))
        assert ok == (defaulted and lacking > 0)
        if ok:
            seller = self.world.state.receivables[back].holder_id
            self.model[pid][2] = False
            self.model[back] = [seller, self.model[pid][1], True]
            # The returned piece keeps what was paid and recovered; the seller owes the rest.
            self.paid[back] = self.paid.get(pid, 0)
            self.recovered[back] = self.recovered.get(pid, 0)
            self.recourse[owed] = [seller, lacking, False]

    def _funded(self) -> list[str]:
        return [p for p in self._live() if self.model[p][0] == self.net.funder.org_id]

    @precondition(lambda self: any(not paid for _, _, paid in self.recourse.values()))
    @rule(data=st.data(), by_seller=st.booleans())
    def pay_recourse(self, data: st.DataObject, by_seller: bool) -> None:
        owed = data.draw(st.sampled_from(sorted(o for o, v in self.recourse.items() if not v[2])))
        seller = next(f for f in self.firms if f.org_id == self.recourse[owed][0])
        # The anchor does not owe it: neither its settlement nor a payment in its name goes.
        assert not self._attempt(self.net.anchor, c.SettleReceivable(owed))
        ok = self._attempt(seller if by_seller else self.net.anchor, c.PayRecourse(owed))
        assert ok == by_seller
        if ok:
            self.recourse[owed][2] = True

    @rule(data=st.data(), amount=st.integers(1, 30_000_000))
    def credit_note(self, data: st.DataObject, amount: int) -> None:
        state = self.world.state
        invoice = data.draw(st.sampled_from(sorted(state.invoices)))
        inv = state.invoices[invoice]
        credited = sum(k.amount_minor for k in state.credits.values() if k.invoice_id == invoice)
        cancelled = state.receivables[inv.receivable_id].status == "cancelled"
        crd = self.world.new("crd")
        ok = self._attempt(self.net.anchor, c.RecordCreditNote(invoice, "CN", amount, crd))
        assert ok == (credited + amount <= inv.amount_minor and not cancelled)
        if ok:
            self.credits.setdefault(inv.supplier_id, []).append([crd, amount])

    @rule(firm=st.integers(0, 2), amount=st.integers(1, 1_000_000))
    def dispute_then_confirm(self, firm: int, amount: int) -> None:
        """A disputed invoice is refused confirmation until its dispute is resolved."""
        number, dsp = self.world.new("DISPUTED"), self.world.new("dsp")
        supplier = self.firms[firm]
        assert self._attempt(
            self.net.anchor,
            c.RaiseDispute(self.net.program_id, supplier.org_id, number, amount, "quality", dsp),
        )
        confirm = c.ConfirmInvoice(
            self.net.program_id,
            supplier.org_id,
            number,
            amount,
            "EUR",
            self.world.today + timedelta(days=30),
            self.world.new("inv"),
            self.world.new("rcv"),
            self.world.new("apr"),
        )
        assert not self._attempt(self.net.anchor, confirm)
        self.disputed[dsp] = number

    @precondition(lambda self: self.disputed)
    @rule(
        data=st.data(),
        who=st.sampled_from(["anchor", "supplier", "other"]),
        outcome=st.sampled_from(["agreed", "withdrawn"]),
    )
    def resolve_dispute(self, data: st.DataObject, who: str, outcome: str) -> None:
        dsp = data.draw(st.sampled_from(sorted(self.disputed)))
        dispute = self.world.state.disputes[dsp]
        supplier = next(f for f in self.firms if f.org_id == dispute.supplier_id)
        other = next(f for f in self.firms if f.org_id != dispute.supplier_id)
        actor = {"anchor": self.net.anchor, "supplier": supplier, "other": other}[who]
        ok = self._attempt(actor, c.ResolveDispute(dsp, outcome))
        assert ok == ((who, outcome) in (("anchor", "withdrawn"), ("supplier", "agreed")))
        if ok:
            del self.disputed[dsp]

    # --- fraud flags ------------------------------------------------------------------

    def _flagged(self, pid: str) -> bool:
        invoice_id = self.world.state.receivables[pid].invoice_id
        return invoice_id in self.flags.values()

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    def flag_a_piece(self, data: st.DataObject) -> None:
        """The operator flags the invoice behind a piece: at most one open flag each."""
        pid = data.draw(st.sampled_from(self._live()))
        flag = self.world.new("ffl")
        ok = self._attempt(
            OPERATOR,
            c.RaiseFraudFlag("dup/1", "near duplicate", "ab" * 32, receivable_id=pid, flag_id=flag),
        )
        assert ok != self._flagged(pid)
        if ok:
            self.flags[flag] = self.world.state.receivables[pid].invoice_id

    @rule(firm=st.integers(0, 2))
    def flag_then_confirm(self, firm: int) -> None:
        """A flagged invoice is refused confirmation until its flag is cleared."""
        number, flag = self.world.new("FLAGGED"), self.world.new("ffl")
        supplier = self.firms[firm]
        assert self._attempt(
            OPERATOR,
            c.RaiseFraudFlag(
                "phantom/1",
                "no order",
                "cd" * 32,
                self.net.program_id,
                supplier.org_id,
                number,
                flag_id=flag,
            ),
        )
        confirm = c.ConfirmInvoice(
            self.net.program_id,
            supplier.org_id,
            number,
            1_000_00,
            "EUR",
            self.world.today + timedelta(days=30),
            self.world.new("inv"),
            self.world.new("rcv"),
            self.world.new("apr"),
        )
        assert not self._attempt(self.net.anchor, confirm)
        self.flags[flag] = None

    @precondition(lambda self: self.flags)
    @rule(data=st.data(), who=st.sampled_from(["anchor", "operator_checker", "raiser", "s1"]))
    def clear_flag(self, data: st.DataObject, who: str) -> None:
        flag = data.draw(st.sampled_from(sorted(self.flags)))
        actor = {
            "anchor": self.net.anchor,
            "operator_checker": self.op_maker,
            "raiser": OPERATOR,
            "s1": self.net.s1,
        }[who]
        ok = self._attempt(actor, c.ClearFraudFlag(flag, "reviewed"))
        assert ok == (who in ("anchor", "operator_checker"))
        if ok:
            del self.flags[flag]

    # --- when trade goes wrong --------------------------------------------------------

    def _owed(self, pid: str) -> int:
        face = self.model[pid][1]
        assert isinstance(face, int)
        return face - self.paid.get(pid, 0) - self.recovered.get(pid, 0)

    @precondition(lambda self: self._live())
    @rule(data=st.data(), quarter=st.integers(1, 5), actor=st.sampled_from(["anchor", "s1"]))
    def pay_part(self, data: st.DataObject, quarter: int, actor: str) -> None:
        """Pay a quarter, a half, three quarters, all, or more than what is owed."""
        pid = data.draw(st.sampled_from(self._live()))
        piece = self.world.state.receivable(pid)
        assert piece is not None
        owed = self._owed(pid)
        amount = max(1, owed * quarter // 4) if quarter <= 4 else owed + 1
        expected = (
            actor == "anchor"
            and self.world.today >= piece.due_on
            and piece.claim_id is None
            and amount <= owed
        )
        ok = self._attempt(getattr(self.net, actor), c.RecordPayment(pid, amount))
        assert ok == expected, (ok, expected)
        if ok:
            self.paid[pid] = self.paid.get(pid, 0) + amount
            if amount == owed:
                self.model[pid][2] = False

    @precondition(lambda self: self.claim is None and self._live())
    @rule(reason=st.sampled_from(["insolvency", "past_due"]), same_user=st.booleans())
    def declare_default(self, reason: str, same_user: bool) -> None:
        approval, claim = self.world.new("apr"), self.world.new("dfl")
        if not self._attempt(
            self.op_maker,
            c.RequestObligorDefault(self.net.anchor.org_id, reason, "", approval, claim),
        ):
            assert reason == "past_due"
            return
        checker = self.op_maker if same_user else OPERATOR
        ok = self._attempt(checker, c.ApproveObligorDefault(approval))
        assert ok == (not same_user)
        if ok:
            self.claim = claim

    @precondition(lambda self: self.claim is not None)
    @rule(quarter=st.integers(1, 5))
    def recover(self, quarter: int) -> None:
        assert self.claim is not None
        claim = self.world.state.default_claim(self.claim)
        assert claim is not None
        lacking = sum(self._owed(p) for p in claim.piece_ids)
        amount = max(1, lacking * quarter // 4) if quarter <= 4 else lacking + 1
        before = {p: self.world.state.receivables[p].holder_id for p in claim.piece_ids}
        ok = self._attempt(OPERATOR, c.RecordRecovery(self.claim, amount, "EUR", "insurer"))
        assert ok == (claim.status == "open" and 0 < amount <= lacking), (ok, amount, lacking)
        if ok:
            e = self.world.log[-1].event
            assert sum(e.shares_minor) == amount  # type: ignore[attr-defined]
            for pid, holder, share in zip(
                e.piece_ids,
                e.holder_ids,  # type: ignore[attr-defined]
                e.shares_minor,
                strict=True,
            ):  # type: ignore[attr-defined]
                assert holder == before[pid] and 0 <= share <= self._owed(pid)
                self.recovered[pid] = self.recovered.get(pid, 0) + share

    @precondition(lambda self: self.claim is not None)
    @rule()
    def close_claim(self) -> None:
        assert self.claim is not None
        claim = self.world.state.default_claim(self.claim)
        assert claim is not None
        ok = self._attempt(OPERATOR, c.CloseDefaultClaim(self.claim))
        assert ok == (claim.status == "open")
        if ok:
            e = self.world.log[-1].event
            for pid, loss in zip(
                e.piece_ids,
                e.losses_minor,  # type: ignore[attr-defined]
                strict=True,
            ):
                assert loss == self._owed(pid)
                self.model[pid][2] = False

    @rule(days=st.integers(1, 60))
    def time_passes(self, days: int) -> None:
        self.world.today += timedelta(days=days)

    @invariant()
    def the_domain_agrees_with_the_reference_model(self) -> None:
        state = self.world.state
        for pid, (holder, face, outstanding) in self.model.items():
            piece = state.receivable(pid)
            assert piece is not None
            assert (piece.holder_id, piece.face_minor) == (holder, face)
            assert (piece.status in OUTSTANDING) == outstanding

    @invariant()
    def recourse_credits_and_disputes_agree_with_the_model(self) -> None:
        state = self.world.state
        for owed, (seller, face, paid) in self.recourse.items():
            piece = state.receivables[owed]
            assert (piece.obligor_id, piece.holder_id, piece.face_minor) == (
                seller,
                self.net.funder.org_id,
                face,
            )
            assert piece.status == ("settled" if paid else "recourse_due")
        for credits in self.credits.values():
            for crd, left in credits:
                assert state.credits[str(crd)].open_minor == left
        assert {d for d, x in state.disputes.items() if x.status == "open"} == set(self.disputed)
        assert {f for f, x in state.fraud_flags.items() if x.status == "open"} == set(self.flags)

    def money_is_conserved(self) -> None:
        """Each piece took what the model says, never more than its face; a settled piece
        was paid its face; a written-off piece's loss is what it still lacked."""
        for pid, piece in self.world.state.receivables.items():
            assert piece.paid_minor == self.paid.get(pid, 0) or (
                piece.status == "settled" and piece.paid_minor == piece.face_minor
            )
            assert piece.recovered_minor == self.recovered.get(pid, 0)
            assert 0 <= piece.paid_minor + piece.recovered_minor <= piece.face_minor
            if piece.status == "settled":
                assert piece.paid_minor == piece.face_minor
            assert (piece.claim_id is not None) == (
                self.claim is not None
                and piece.status in ("defaulted", "written_off")
                and pid in self.world.state.default_claims[self.claim].piece_ids
            )

    @invariant()
    def every_invariant_holds_on_replay(self) -> None:
        result = replay(self.world.log)
        assert result.ok, result.violations
        assert result.state.receivables == self.world.state.receivables
        funders = {p.id: p.funder_ids for p in self.world.state.programs.values()}
        recount = recount_exposures(self.world.state.receivables.values(), funders)
        assert {k: v for k, v in self.world.state.exposures.items() if v} == recount


ReceivablesMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestReceivables = ReceivablesMachine.TestCase
