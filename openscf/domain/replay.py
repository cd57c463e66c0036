"""The invariant replay: rebuild the state from events alone and check every invariant.

This is a second, independent reading of the rules. `decide` enforces them when commands
arrive; `replay` checks that the history, whatever wrote it, obeys them:

- every event is well-formed and its acting organisation had the right to cause it:
  only the holder moves a piece, only the obligor confirms, settles and cancels;
- a piece is consumed at most once; split pieces sum exactly to their parent;
- one invoice backs at most one receivable;
- the maximum tenor and every limit hold after each event;
- risk decisions cite registered models with their hashes, fraud flags are raised by the
  operator and cleared by another checker, and no flagged invoice is confirmed, financed
  or paid early (openscf.domain.risk_log);
- partial payments, defaults, recoveries and closed claims obey openscf.domain.recovery
  (only the obligor pays, only the operator declares default with a second user as
  checker, recoveries are shared pro rata to the holders and never exceed the claim, a
  closed claim takes no more money);
- at the end, for every receivable issued, its live pieces plus what was paid sum to its
  face (or it was cancelled whole), no piece took more than its face, and the exposure
  counters equal a recount.

Errors are values: `replay` returns every violation found, each naming its event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from openscf.domain import dilution, recourse, risk_log
from openscf.domain import events as ev
from openscf.domain.apply import apply
from openscf.domain.model import OUTSTANDING, RECOURSE_DUE, Receivable, exposure_key
from openscf.domain.money import MAX_AMOUNT_MINOR, format_amount
from openscf.domain.recovery import check_event
from openscf.domain.state import InMemoryState

__all__ = ["ReplayResult", "Replayer", "Violation", "recount_exposures", "replay"]


@dataclass(frozen=True, slots=True)
class Violation:
    seq: int | None
    event_id: str | None
    code: str
    message: str


@dataclass
class ReplayResult:
    state: InMemoryState
    events: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _piece_problem(
    state: InMemoryState, receivable_id: str, actor_org: str, must_be: str
) -> str | None:
    piece = state.receivable(receivable_id)
    if piece is None:
        return f"unknown receivable {receivable_id}"
    if piece.status != "live":
        return f"{receivable_id} is {piece.status}, not live (consumed at most once)"
    if must_be == "holder" and piece.holder_id != actor_org:
        return f"{actor_org} moved {receivable_id} held by {piece.holder_id}"
    return None


def _new_ids(state: InMemoryState, ids: Iterable[str]) -> str | None:
    for piece_id in ids:
        if piece_id in state.receivables:
            return f"piece id {piece_id} reused"
    return None


def _check(state: InMemoryState, record: ev.EventRecord) -> str | None:
    """Why this event may not happen in this state, or None when it may."""
    e = record.event
    org = record.org_id
    problem = check_event(state, record) or risk_log.check_event(state, record)
    if problem is not None:
        return problem
    if isinstance(e, ev.ReceivableIssued):
        program = state.program(e.program_id)
        if program is None:
            return f"unknown program {e.program_id}"
        if org != program.anchor_id or e.obligor_id != program.anchor_id:
            return f"{org} confirmed for {program.anchor_id}'s program"
        if state.relationship(e.program_id, e.supplier_id) is None:
            return f"{e.supplier_id} not onboarded"
        if not 0 < e.face_minor <= MAX_AMOUNT_MINOR or e.currency != program.currency:
            return "bad face or currency"
        if state.invoice_by_number(e.obligor_id, e.supplier_id, e.invoice_number) or (
            e.invoice_id in state.invoices
        ):
            return f"invoice {e.invoice_number} already backs a receivable"
        if (e.due_on - record.occurred_at.date()).days > program.max_tenor_days:
            return "maximum tenor exceeded"
        return _new_ids(state, [e.receivable_id]) or dilution.check_event(state, record)
    if isinstance(e, ev.ReceivableSplit):
        problem = _piece_problem(state, e.parent_id, org, "holder")
        if problem:
            return problem
        parent = state.receivables[e.parent_id]
        if sum(e.faces_minor) != parent.face_minor or min(e.faces_minor) <= 0:
            return f"split of {e.parent_id} does not sum to its face"
        if len(set(e.piece_ids)) != len(e.piece_ids):
            return "duplicate piece ids"
        return _new_ids(state, e.piece_ids)
    if isinstance(e, ev.ReceivableTransferred):
        problem = _piece_problem(state, e.receivable_id, org, "holder")
        if problem:
            return problem
        piece = state.receivables[e.receivable_id]
        if e.from_org_id != piece.holder_id or e.face_minor != piece.face_minor:
            return "transfer does not match the piece"
        if state.relationship(piece.program_id, e.to_org_id) is None and e.reason == "transfer":
            return f"{e.to_org_id} not onboarded"
        return _new_ids(state, [e.new_receivable_id])
    if isinstance(e, ev.ReceivableSettled | ev.ReceivablePaidEarly | ev.ReceivableCancelled):
        paid = state.receivable(e.receivable_id)
        if paid is None:
            return f"unknown receivable {e.receivable_id}"
        if isinstance(e, ev.ReceivablePaidEarly):
            # The holder accepts; the obligor must have made the offer it accepts.
            offer = state.early_payment_offer(e.offer_id)
            if org != paid.holder_id or offer is None or offer.obligor_id != paid.obligor_id:
                return (
                    f"early payment of {e.receivable_id} not offered by its obligor "
                    "and accepted by its holder"
                )
        elif org != paid.obligor_id:
            return f"{org} paid or cancelled {e.receivable_id} owed by {paid.obligor_id}"
        allowed = {*OUTSTANDING, RECOURSE_DUE} if isinstance(e, ev.ReceivableSettled) else {"live"}
        if paid.status not in allowed:
            return f"{e.receivable_id} is {paid.status}"
        if isinstance(e, ev.ReceivableSettled) and e.amount_minor != paid.outstanding_minor:
            return "settlement differs from what was owed"
        if isinstance(e, ev.ReceivableCancelled) and (
            paid.parent_id is not None or paid.holder_id != paid.supplier_id
        ):
            return "cancelled after the supplier passed it on"
        return None
    if isinstance(e, ev.FinancingOfferAccepted):
        financed = state.receivable(e.receivable_id)
        if financed is None or financed.holder_id != org:
            return "financing accepted by someone other than the holder"
    if isinstance(e, ev.ReceivableOverdue | ev.ReceivableDefaulted):
        marked, acting = state.receivable(e.receivable_id), state.organisation(org)
        if marked is None or (
            org != marked.obligor_id and (acting is None or "operator" not in acting.roles)
        ):
            return (
                f"{org} marked {e.receivable_id} {e.TYPE[10:].lower()}, neither its "
                "obligor nor the operator"
            )
    return recourse.check_event(state, record) or dilution.check_event(state, record)


def _limits(state: InMemoryState, record: ev.EventRecord) -> str | None:
    """Limits only grow on issue and on a funder taking a piece: check just those keys."""
    e = record.event
    if isinstance(e, ev.ReceivableIssued):
        program = state.programs[e.program_id]
        if state.exposure(exposure_key("program", program.id)) > program.program_limit_minor:
            return f"program limit of {program.id} exceeded"
        key = exposure_key("supplier", program.id, e.supplier_id)
        if state.exposure(key) > program.supplier_limit_minor:
            return f"supplier limit exceeded ({key})"
    if isinstance(e, ev.ReceivableTransferred):
        piece = state.receivables[e.new_receivable_id]
        program = state.programs[piece.program_id]
        key = exposure_key("funder", program.id, e.to_org_id)
        if e.to_org_id in program.funder_ids and (state.exposure(key) > program.funder_limit_minor):
            return f"funder limit exceeded ({key})"
    return None


def recount_exposures(
    receivables: Iterable[Receivable], funders_of: dict[str, tuple[str, ...]]
) -> dict[str, int]:
    """Exposure counters recomputed from scratch from the outstanding pieces."""
    totals: dict[str, int] = defaultdict(int)
    for piece in receivables:
        if piece.status not in OUTSTANDING:
            continue
        totals[exposure_key("program", piece.program_id)] += piece.face_minor
        totals[exposure_key("supplier", piece.program_id, piece.supplier_id)] += piece.face_minor
        if piece.holder_id in funders_of.get(piece.program_id, ()):
            totals[exposure_key("funder", piece.program_id, piece.holder_id)] += piece.face_minor
    return dict(totals)


def _conservation(state: InMemoryState) -> list[Violation]:
    """For every root: outstanding pieces + paid pieces == face, or cancelled whole."""
    accounted: dict[str, int] = defaultdict(int)
    for piece in state.receivables.values():
        if piece.status in OUTSTANDING or piece.status in (
            "settled",
            "paid_early",
            "cancelled",
            "written_off",
        ):
            accounted[piece.root_id] += piece.face_minor
    out = []
    for piece in state.receivables.values():
        # Money in: what the obligor paid and what was recovered never exceed the face,
        # and a settled piece was paid exactly its face.
        if not 0 <= piece.paid_minor + piece.recovered_minor <= piece.face_minor or (
            piece.status == "settled" and piece.paid_minor != piece.face_minor
        ):
            out.append(
                Violation(
                    None,
                    None,
                    "paid_beyond_face",
                    f"{piece.id} was paid "
                    f"{format_amount(piece.paid_minor, piece.currency)} and recovered "
                    f"{format_amount(piece.recovered_minor, piece.currency)} "
                    f"on a face of {format_amount(piece.face_minor, piece.currency)}",
                )
            )
    for piece in state.receivables.values():
        if piece.parent_id is None and accounted[piece.id] != piece.face_minor:
            out.append(
                Violation(
                    None,
                    None,
                    "pieces_do_not_sum",
                    f"pieces of {piece.id} account for "
                    f"{format_amount(accounted[piece.id], piece.currency)}, "
                    f"face is {format_amount(piece.face_minor, piece.currency)}",
                )
            )
    return out


class Replayer:
    """Replay one event at a time (for auditors that check more per event), then finish."""

    def __init__(self) -> None:
        self.state = InMemoryState()
        self.result = ReplayResult(self.state)
        self._last_seq = 0

    def step(self, record: ev.EventRecord) -> list[Violation]:
        """Check and apply one event; returns the violations it caused (also recorded)."""
        found: list[Violation] = []
        self.result.events += 1
        if record.seq is not None:
            if record.seq != self._last_seq + 1:
                found.append(
                    Violation(
                        record.seq,
                        record.id,
                        "sequence_gap",
                        f"sequence {record.seq} after {self._last_seq}",
                    )
                )
            self._last_seq = record.seq
        problem = _check(self.state, record)
        if problem is not None:
            found.append(Violation(record.seq, record.id, "invalid_event", problem))
        else:
            try:
                apply(self.state, record)
            except (AssertionError, KeyError) as exc:
                # The history refers to what is not there (a broken or forged log): report
                # it and carry on judging the rest.
                found.append(
                    Violation(
                        record.seq,
                        record.id,
                        "unapplicable_event",
                        f"the event cannot apply to the state: {exc!r}",
                    )
                )
                self.result.violations.extend(found)
                return found
            problem = _limits(self.state, record)
            if problem is not None:
                found.append(Violation(record.seq, record.id, "limit_exceeded", problem))
        self.result.violations.extend(found)
        return found

    def finish(self) -> ReplayResult:
        """The end-of-history invariants: conservation of every receivable, exposures."""
        state = self.state
        self.result.violations.extend(_conservation(state))
        self.result.violations.extend(
            Violation(None, None, "money_not_conserved", problem)
            for problem in (*recourse.conservation(state), *dilution.conservation(state))
        )
        funders = {p.id: p.funder_ids for p in state.programs.values()}
        recount = recount_exposures(state.receivables.values(), funders)
        for key, used in state.exposures.items():
            if used != recount.get(key, 0):
                self.result.violations.append(
                    Violation(
                        None,
                        None,
                        "exposure_mismatch",
                        f"{key}: counter {used}, recount {recount.get(key, 0)}",
                    )
                )
        return self.result


def replay(records: Iterable[ev.EventRecord]) -> ReplayResult:
    """Rebuild the state from `records` (in log order) and check every invariant.

    An invalid event is reported and not applied: the rest is judged without it.
    """
    replayer = Replayer()
    for record in records:
        replayer.step(record)
    return replayer.finish()
