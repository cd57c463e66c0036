"""ISO 20022 pain.002 (customer payment status report) in: what the bank did with a
pain.001 payment file.

Read namespace-agnostically, so pain.002.001.03 (and its Swiss `.ch.02` variant) up to
.001.10 (the answer to the pain.001.001.09 files openscf writes) go through one code
path: the group status (`OrgnlGrpInfAndSts/GrpSts`), each payment block's status
(`OrgnlPmtInfAndSts/PmtInfSts`) and each transaction's (`TxInfAndSts/TxSts`), with
the reason codes and texts. Parsing goes through the safe XML parser (no DTD, no
entities, no network, size limit); errors are `DocumentError`s naming source, line and
element.

Status codes, by what they mean for an instruction: `RJCT` rejected; `ACCP`, `ACSP`,
`ACSC`, `ACTC`, `ACWC`, `ACWP`, `ACCC` accepted; anything else (`RCVD`, `PDNG`, `PART`)
says nothing final about a single instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from openscf.documents.errors import MissingElementError, UnknownDocumentTypeError
from openscf.documents.xml import DEFAULT_MAX_BYTES, element_path, local_name, parse_xml, text_of

__all__ = [
    "ACCEPTED_CODES",
    "REJECTED_CODES",
    "PaymentBlockStatus",
    "PaymentStatusReport",
    "TransactionStatus",
    "outcome_of",
    "parse_pain002",
]

ACCEPTED_CODES = frozenset({"ACCP", "ACSP", "ACSC", "ACTC", "ACWC", "ACWP", "ACCC"})
REJECTED_CODES = frozenset({"RJCT"})
_VERSION = re.compile(r"pain\.002\.001\.([0-9]{2})")


def outcome_of(code: str | None) -> str | None:
    """ "accepted", "rejected", or None when the code decides nothing."""
    if code in REJECTED_CODES:
        return "rejected"
    if code in ACCEPTED_CODES:
        return "accepted"
    return None


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    """The status of one original transaction (`TxInfAndSts`)."""

    instruction_id: str | None
    end_to_end_id: str | None
    status: str | None
    reasons: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentBlockStatus:
    """The status of one original payment block (`OrgnlPmtInfAndSts`)."""

    payment_block_id: str
    status: str | None
    reasons: tuple[str, ...]
    transactions: tuple[TransactionStatus, ...]


@dataclass(frozen=True, slots=True)
class PaymentStatusReport:
    message_id: str
    version: str | None
    original_message_id: str
    group_status: str | None
    group_reasons: tuple[str, ...]
    blocks: tuple[PaymentBlockStatus, ...]
    source: str = "<bytes>"


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for child in el:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return None


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and local_name(c) == name]


def _text(el: etree._Element | None, *names: str) -> str | None:
    for name in names:
        if el is None:
            return None
        el = _child(el, name)
    return text_of(el)


def _reasons(el: etree._Element) -> tuple[str, ...]:
    out: list[str] = []
    for info in _children(el, "StsRsnInf"):
        code = _text(info, "Rsn", "Cd") or _text(info, "Rsn", "Prtry")
        texts = [t for x in _children(info, "AddtlInf") if (t := text_of(x))]
        out.append(" ".join([code or "", *texts]).strip() or "-")
    return tuple(out)


def _required(el: etree._Element, source: str, *names: str) -> str:
    value = _text(el, *names)
    if value is None:
        raise MissingElementError(
            f"{'/'.join(names)} is missing",
            source=source,
            line=el.sourceline,
            element=f"{element_path(el)}/{'/'.join(names)}",
        )
    return value


def parse_pain002(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> PaymentStatusReport:
    """Read a pain.002 customer payment status report."""
    root = parse_xml(data, source, max_bytes=max_bytes)
    report = _child(root, "CstmrPmtStsRpt") if local_name(root) == "Document" else None
    if report is None:
        raise UnknownDocumentTypeError(
            f"root element {local_name(root)} is not a pain.002 Document/CstmrPmtStsRpt",
            source=source,
            line=root.sourceline,
            element=element_path(root),
        )
    found = _VERSION.search(etree.QName(root).namespace or "")
    header = _child(report, "GrpHdr")
    group = _child(report, "OrgnlGrpInfAndSts")
    if header is None or group is None:
        raise MissingElementError(
            "GrpHdr and OrgnlGrpInfAndSts are required",
            source=source,
            line=report.sourceline,
            element=element_path(report),
        )
    blocks = []
    for block in _children(report, "OrgnlPmtInfAndSts"):
        transactions = tuple(
            TransactionStatus(
                _text(tx, "OrgnlInstrId"),
                _text(tx, "OrgnlEndToEndId"),
                _text(tx, "TxSts"),
                _reasons(tx),
                tx.sourceline,
            )
            for tx in _children(block, "TxInfAndSts")
        )
        blocks.append(
            PaymentBlockStatus(
                _required(block, source, "OrgnlPmtInfId"),
                _text(block, "PmtInfSts"),
                _reasons(block),
                transactions,
            )
        )
    return PaymentStatusReport(
        message_id=_required(header, source, "MsgId"),
        version=f"001.{found.group(1)}" if found else None,
        original_message_id=_required(group, source, "OrgnlMsgId"),
        group_status=_text(group, "GrpSts"),
        group_reasons=_reasons(group),
        blocks=tuple(blocks),
        source=source,
    )
