"""Time to build one pain.001.001.09 file of N credit transfers (default 100,000).

Instructions spread over 3 debtor accounts, 5 value dates, 4 currencies and 50 creditor
accounts; a quarter carry an RF creditor reference. The time covers validation of every
IBAN, BIC and RF reference and writing the XML. With --validate the result is also checked
against the pain.001.001.09 XSD of the conformance corpus (not timed).

    .venv/bin/python bench/documents_pain001.py [--count 100000] [--validate]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.documents.iban import create_rf_reference  # noqa: E402
from openscf.documents.pain001 import PaymentInstruction, build_pain001  # noqa: E402

DEBTORS = [
    ("Anchor AG", "CH2909000000250094239", "POFICHBEXXX"),
    ("Funder Bank", "DE89370400440532013000", "DEUTDEFFXXX"),
    ("Other Funder", "NL91ABNA0417164300", "ABNANL2A"),
]
CREDITORS = [
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    "FI2112345600000785",
    "NO9386011117947",
    "CH9300762011623852957",
]
CURRENCIES = ["EUR", "CHF", "JPY", "KWD"]


def instructions(count: int) -> list[PaymentInstruction]:
    out = []
    start = date(2025, 3, 3)
    for n in range(count):
        name, iban, bic = DEBTORS[n % len(DEBTORS)]
        out.append(
            PaymentInstruction(
                instruction_id=f"RCV-{n:09d}",
                debtor_name=name,
                debtor_iban=iban,
                debtor_bic=bic,
                creditor_name=f"Supplier {n % 50} & Sons",
                creditor_iban=CREDITORS[n % len(CREDITORS)],
                creditor_bic=None if n % 2 else "NWBKGB2L",
                amount_minor=1_000 + n,
                currency=CURRENCIES[n % len(CURRENCIES)],
                value_date=start + timedelta(days=n % 5),
                creditor_reference=create_rf_reference(f"R{n}") if n % 4 == 0 else None,
                remittance_text=f"Receivable rcv_{n}",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--validate", action="store_true")
    args = parser.parse_args()
    batch = instructions(args.count)
    started = time.perf_counter()
    xml = build_pain001(
        batch,
        message_id="BENCH-1",
        created_at=datetime.now(UTC),
        initiating_party="OpenSCF",
    )
    elapsed = time.perf_counter() - started
    print(
        f"pain.001.001.09: {args.count} instructions in {elapsed:.2f} s "
        f"({args.count / elapsed:,.0f}/s), {len(xml) / 1e6:.1f} MB"
    )
    if args.validate:
        from lxml import etree

        env = os.environ.get("OPENSCF_CONFORMANCE_DIR")
        base = Path(env) if env else REPO / "tests" / "conformance"
        schema = etree.XMLSchema(etree.parse(str(base / "iso20022/xsd/pain.001.001.09.xsd")))
        doc = etree.fromstring(xml, etree.XMLParser(huge_tree=True))
        print("schema valid:", schema.validate(doc))


if __name__ == "__main__":
    main()
