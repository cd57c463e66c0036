"""Installing pinned validation artefacts, and validation stages that need them."""

from __future__ import annotations

import hashlib
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from openscf.documents import rules
from openscf.documents.errors import RulesInstallError
from openscf.documents.rules import (
    CII_XSD,
    MANIFEST,
    UBL_XSD,
    default_data_dir,
    install_rules,
    is_installed,
)
from openscf.documents.validation import validate_invoice

BASE = "peppol-bis3/examples/base-example.xml"


def test_the_manifest_pins_every_xsd_of_the_corpus_by_sha256(einvoice: Path) -> None:
    for bundle in (UBL_XSD, CII_XSD):
        for art in bundle.artefacts:
            src = art.local_path(einvoice)
            assert src is not None, art.path
            assert hashlib.sha256(src.read_bytes()).hexdigest() == art.sha256, art.path
            # Downloaded over https: the file itself, or the pinned wheel it is read from.
            assert (art.archive.url if art.archive else art.url).startswith("https://")


def test_rules_install_from_a_local_folder_with_progress(einvoice: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    result = install_rules(einvoice, tmp_path, progress=lambda p, i, n: seen.append((p, i, n)))
    assert result.installed == (UBL_XSD.name, CII_XSD.name)
    assert result.files == len(UBL_XSD.artefacts) + len(CII_XSD.artefacts) == len(seen)
    assert seen[-1][1] == seen[-1][2]
    assert is_installed(tmp_path, UBL_XSD.name) and is_installed(tmp_path, CII_XSD.name)
    assert not [p for p in (tmp_path / "rules").iterdir() if p.name.startswith(".staging")]


def test_a_file_whose_hash_does_not_match_is_refused_and_nothing_is_installed(
    einvoice: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(einvoice / "ubl-2.1", source / "ubl-2.1")
    shutil.copytree(einvoice / "en16931/cii/schema-d16b", source / "en16931/cii/schema-d16b")
    target = (
        source / "en16931/cii/schema-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
    )
    target.write_bytes(target.read_bytes() + b"<!-- tampered -->")
    data_dir = tmp_path / "data"
    with pytest.raises(RulesInstallError) as err:
        install_rules(source, data_dir)
    assert "CrossIndustryInvoice_100pD16B.xsd" in err.value.message
    assert err.value.code == "rules_install_failed"
    assert not is_installed(data_dir, UBL_XSD.name)  # the good bundle was not half-installed
    assert not is_installed(data_dir, CII_XSD.name)
    assert list((data_dir / "rules").iterdir()) == []


def test_a_reinstall_replaces_a_previous_installation_whole(einvoice: Path, tmp_path: Path) -> None:
    install_rules(einvoice, tmp_path)
    install_rules(einvoice, tmp_path)
    assert is_installed(tmp_path, UBL_XSD.name)
    assert sorted(p.name for p in (tmp_path / "rules").iterdir()) == sorted(
        [UBL_XSD.name, CII_XSD.name]
    )


def test_a_missing_source_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulesInstallError) as err:
        install_rules(tmp_path, tmp_path / "data")
    assert "not found" in err.value.message


def test_downloading_while_offline_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RulesInstallError) as err:
        install_rules(None, tmp_path)
    assert "offline" in err.value.message and "https://" in err.value.message
    assert not is_installed(tmp_path, UBL_XSD.name)


def test_unknown_bundles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulesInstallError):
        install_rules(None, tmp_path, bundles=["nope"])
    assert set(MANIFEST) >= {UBL_XSD.name, CII_XSD.name}


def test_the_data_directory_defaults_to_the_environment_then_the_home_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENSCF_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("OPENSCF_DATA_DIR")
    assert default_data_dir() == Path.home() / ".local" / "share" / "openscf"


def test_stages_without_artefacts_are_listed_as_skipped_with_a_reason(
    einvoice: Path, tmp_path: Path
) -> None:
    report = validate_invoice((einvoice / BASE).read_bytes(), data_dir=tmp_path)
    assert report.stages_run == ("en16931",)
    skipped = dict(report.stages_skipped)
    assert "not installed" in skipped["xsd"]
    assert "schematron" in skipped
    assert report.valid


def test_the_schematron_stage_for_cii_is_skipped_when_not_installed(
    einvoice: Path, rules_dir: Path
) -> None:
    data = (einvoice / "en16931/cii/examples/CII_example3.xml").read_bytes()
    report = validate_invoice(data, data_dir=rules_dir)
    assert report.stages_run == ("xsd", "en16931")
    assert "cii-en16931-xslt" in dict(report.stages_skipped)["schematron"]


def test_a_tampered_installed_schema_is_not_used(einvoice: Path, tmp_path: Path) -> None:
    install_rules(einvoice, tmp_path)
    schema = rules.bundle_dir(tmp_path, UBL_XSD.name) / "common/UBL-CommonBasicComponents-2.1.xsd"
    schema.write_bytes(schema.read_bytes() + b" ")
    report = validate_invoice((einvoice / BASE).read_bytes(), data_dir=tmp_path, stages=("xsd",))
    assert report.stages_run == ()
    assert "SHA-256" in dict(report.stages_skipped)["xsd"]


def test_compiled_schemas_are_cached_per_process(einvoice: Path, rules_dir: Path) -> None:
    from openscf.documents import validation

    validate_invoice((einvoice / BASE).read_bytes(), data_dir=rules_dir, stages=("xsd",))
    cached = dict(validation._schemas)
    validate_invoice((einvoice / BASE).read_bytes(), data_dir=rules_dir, stages=("xsd",))
    assert validation._schemas == cached and cached


def test_the_facturx_xslt_runs_in_process_and_reports_svrl_findings(
    einvoice: Path, schematron_dir: Path
) -> None:
    data = (einvoice / "en16931/cii/examples/CII_example4.xml").read_bytes()
    broken = data.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"", 1)
    report = validate_invoice(broken, data_dir=schematron_dir, stages=("schematron",))
    assert report.stages_run == ("schematron",)
    assert "BR-04" in report.rule_ids()
