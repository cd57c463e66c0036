"""Throughput of e-invoice validation: safe parse + XSD + native EN 16931 rules.

Runs every published EN 16931 example of the conformance corpus (UBL, CII, Peppol BIS 3)
over and over until at least --count documents were validated, in one process, and prints
invoices per second for the whole pipeline and for the native rules alone.

    .venv/bin/python bench/documents_invoices.py [--count 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.documents.en16931 import check_element  # noqa: E402
from openscf.documents.rules import install_rules  # noqa: E402
from openscf.documents.validation import validate_invoice  # noqa: E402
from openscf.documents.xml import parse_xml  # noqa: E402


def corpus() -> Path:
    env = os.environ.get("OPENSCF_CONFORMANCE_DIR")
    base = Path(env) if env else (REPO / "tests" / "conformance").resolve()
    return base / "einvoice"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    base = corpus()
    if not base.is_dir():
        sys.exit(f"conformance corpus not found at {base}; set OPENSCF_CONFORMANCE_DIR")
    paths = [
        *sorted(base.glob("en16931/ubl/examples/*.[xX][mM][lL]")),
        *sorted(base.glob("en16931/cii/examples/*.xml")),
        *sorted(base.glob("peppol-bis3/examples/*.xml")),
    ]
    docs = [p.read_bytes() for p in paths]
    rounds = -(-args.count // len(docs))
    n = rounds * len(docs)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        install_rules(base, data_dir)
        for d in docs:  # warm up: compile and cache the schemas
            validate_invoice(d, data_dir=data_dir, stages=("xsd", "en16931"))

        start = time.perf_counter()
        invalid = 0
        for _ in range(rounds):
            for d in docs:
                if not validate_invoice(d, data_dir=data_dir, stages=("xsd", "en16931")).valid:
                    invalid += 1
        full = time.perf_counter() - start

        roots = [parse_xml(d) for d in docs]
        start = time.perf_counter()
        for _ in range(rounds):
            for r in roots:
                check_element(r)
        native = time.perf_counter() - start

    print(f"documents: {n} ({len(docs)} corpus examples x {rounds}), invalid: {invalid}")
    print(f"parse + XSD + native EN 16931 rules: {n / full:,.0f} invoices/s")
    print(f"native EN 16931 rules alone (parsed tree): {n / native:,.0f} invoices/s")


if __name__ == "__main__":
    main()
