"""Fixtures shared by the database-backed tests: engines on SQLite and PostgreSQL.

`db_url` runs each test on a fresh SQLite file, and again on PostgreSQL when
`OPENSCF_TEST_DATABASE_URL` is set (`.ci/run` sets it to the local server). Without it the
PostgreSQL variant is skipped, and the skip reason says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from openscf.app import FixedClock, NetworkService
from openscf.domain import commands as c
from openscf.sim.network_builder import Firm, NetworkBuilder, standard_network
from openscf.store import make_engine, migrate, sqlite_url
from openscf.trust.keys import SigningKey, encode_public_key

PG_URL = os.environ.get("OPENSCF_TEST_DATABASE_URL")
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """New password hashes at a low scrypt cost, so the tests that log in stay fast; the
    strong default is checked by tests/app/test_auth_lifecycle.py."""
    from openscf.app import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "PASSWORD_COST", auth.ScryptCost(2**10, 8, 1))
        yield


# --- the conformance corpus (carried in tests/conformance, read in place) -----------------

CORPUS_IN_REPOSITORY = REPO_ROOT / "tests" / "conformance"


def conformance_root() -> Path:
    """`tests/conformance` in this repository, unless `OPENSCF_CONFORMANCE_DIR` points
    at another copy of the corpus."""
    configured = os.environ.get("OPENSCF_CONFORMANCE_DIR")
    return Path(configured) if configured else CORPUS_IN_REPOSITORY


def conformance_missing(path: Path) -> str:
    """The failure message for a corpus file or folder that is not there."""
    return (
        f"conformance file or folder {path} is missing: the repository carries the "
        "corpus in tests/conformance (restore it with git, or unset "
        "OPENSCF_CONFORMANCE_DIR if it points at an incomplete copy)"
    )


def conformance_file(relative: str) -> Path:
    """Path to one corpus file. A missing file fails the calling test: the repository
    carries the corpus, so a missing file is a broken checkout, never a reason to skip."""
    path = conformance_root() / relative
    if not path.is_file():
        pytest.fail(conformance_missing(path))
    return path


def conformance_folder(relative: str) -> Path:
    """Path to one corpus folder ("" for the corpus itself); fails the test if missing."""
    path = conformance_root() / relative
    if not path.is_dir():
        pytest.fail(conformance_missing(path))
    return path


@pytest.fixture(scope="session")
def einvoice() -> Path:
    """The corpus's e-invoice folder (UBL, CII, Peppol examples and schemas)."""
    return conformance_folder("einvoice")


@pytest.fixture(scope="session")
def rules_dir(tmp_path_factory: pytest.TempPathFactory, einvoice: Path) -> Path:
    """A data directory with the UBL 2.1 and CII D16B XSDs installed from the corpus."""
    from openscf.documents.rules import install_rules

    data_dir = tmp_path_factory.mktemp("openscf-data")
    install_rules(einvoice, data_dir)
    return data_dir


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        # Whatever an older schema left behind goes too: the test database is disposable.
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path_factory.mktemp("db") / "openscf.db")
    if not PG_URL:
        pytest.skip(
            "PostgreSQL variant: set OPENSCF_TEST_DATABASE_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run it"
        )
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@dataclass
class Net:
    """A small network on a real database: operator, anchor, funder, three suppliers."""

    svc: NetworkService
    clock: FixedClock
    operator: str
    anchor: str
    anchor_user: str
    anchor_checker: str
    funder: str
    funder_user: str
    suppliers: list[str]
    supplier_users: list[str]
    viewer: str
    program_id: str

    def confirm(
        self,
        amount_minor: int = 100_000_00,
        supplier: int = 0,
        due: date = date(2026, 5, 29),
        **kw: object,
    ) -> str:
        out = self.svc.handle(
            self.anchor_user,
            c.ConfirmInvoice(
                self.program_id,
                self.suppliers[supplier],
                kw.pop("number", None)  # type: ignore
                or self.svc.ids.new("inv"),
                amount_minor,
                "EUR",
                due,
                **kw,
            ),
        )  # type: ignore[arg-type]
        return str(out.created["receivable_id"])


def build_net(engine: Engine, threshold: int = 10**12) -> Net:
    clock = FixedClock(START)
    svc = NetworkService(engine, clock, seed=7)
    n = standard_network(svc, approval_threshold_minor=threshold)
    assert n.anchor_checker is not None and n.anchor_viewer is not None
    return Net(
        svc,
        clock,
        n.operator_user,
        n.anchor.org_id,
        n.anchor.user_id,
        n.anchor_checker,
        n.funder.org_id,
        n.funder.user_id,
        [s.org_id for s in n.suppliers],
        [s.user_id for s in n.suppliers],
        n.anchor_viewer,
        n.program_id,
    )


@pytest.fixture
def net(engine: Engine) -> Net:
    return build_net(engine)


@pytest.fixture
def self_signer(net: Net) -> tuple[str, str, str, SigningKey]:
    """A supplier that holds its own key: (org, user, key id, private key)."""
    builder = NetworkBuilder(net.svc, net.operator)
    firm = builder.supplier("Selfsign GmbH", custodial_key=False, user_name="treasurer")
    key = SigningKey.generate()
    key_id = builder.key(firm.org_id, encode_public_key(key.public_key))
    builder.onboard(Firm(net.anchor, net.anchor_user), net.program_id, firm)
    return firm.org_id, firm.user_id, key_id, key
