"""The command line for risk decisions and the review queue: the operator registers a
model and scores a supplier, flags an invoice; the anchor's confirmation is refused naming
the flag, the anchor's checker clears it; refusals are one line."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from openscf.cli import app
from openscf.domain import commands as c
from openscf.domain.errors import Conflict
from openscf.risk import points
from openscf.store import make_engine, migrate, sqlite_url

from ..conftest import Net, build_net
from .test_cli import runner


def _net(db: Path) -> Net:
    engine = make_engine(sqlite_url(db))
    migrate(engine)
    return build_net(engine)


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_operator_registers_a_model_scores_and_flags_and_the_anchor_clears(
    tmp_path: Path,
) -> None:
    db = tmp_path / "n.db"
    net = _net(db)
    model = tmp_path / "model.json"
    model.write_text(
        json.dumps(
            {
                "format": points.KIND,
                "base_points": 600,
                "features": {"late_delivery_bps": [[500, 40], [None, -40]]},
                "pd_bands": [[600, 100], [None, 900]],
                "grades": [[100, "A"], [None, "C"]],
            }
        )
    )
    wrong = hashlib.sha256(b"something else").hexdigest()
    code, out = _cli(
        "models",
        "register",
        str(model),
        "--kind",
        points.KIND,
        "--features",
        "late_delivery_bps",
        "--sha256",
        wrong,
        "--as",
        net.operator,
        "--db",
        str(db),
    )
    assert code == 2 and "artefact_hash_mismatch" in out, out
    code, out = _cli(
        "models",
        "register",
        str(model),
        "--kind",
        points.KIND,
        "--features",
        "late_delivery_bps",
        "--as",
        net.operator,
        "--db",
        str(db),
        "--json",
    )
    assert code == 0, out
    model_id = json.loads(out)["id"]
    code, out = _cli(
        "decisions",
        "score",
        "--model",
        model_id,
        "--org",
        net.suppliers[0],
        "--features",
        '{"late_delivery_bps": 1800}',
        "--as",
        net.operator,
        "--db",
        str(db),
    )
    assert code == 0, out
    assert "PD 900 bps, grade C" in out and "late_delivery_bps = 1800: 80 points" in out, out
    code, out = _cli(
        "flags",
        "raise",
        "--detector",
        "dup/1",
        "--evidence",
        "altered duplicate of INV-1",
        "--program",
        net.program_id,
        "--supplier",
        net.suppliers[0],
        "--invoice-number",
        "INV-7",
        "--as",
        net.operator,
        "--db",
        str(db),
        "--json",
    )
    assert code == 0, out
    flag = json.loads(out)["id"]
    code, out = _cli("flags", "list", "--status", "open", "--db", str(db))
    assert flag in out and "Supplier 0's invoice INV-7" in out, out
    confirm = c.ConfirmInvoice(
        net.program_id, net.suppliers[0], "INV-7", 1_000_00, "EUR", date(2026, 5, 29)
    )
    with pytest.raises(Conflict) as refused:
        net.svc.handle(net.anchor_user, confirm)
    assert refused.value.code == "invoice_flagged" and flag in refused.value.message
    code, out = _cli(
        "flags", "clear", flag, "--reason", "ok", "--as", net.operator, "--db", str(db)
    )
    assert code == 2 and len(out.strip().splitlines()) == 1, out
    assert "same_user_cannot_clear" in out or "another checker" in out, out
    code, out = _cli(
        "flags",
        "clear",
        flag,
        "--reason",
        "goods received",
        "--as",
        net.anchor_checker,
        "--db",
        str(db),
    )
    assert code == 0 and "cleared (goods received)" in out, out
    net.svc.handle(net.anchor_user, confirm)
    code, out = _cli("audit", "--db", str(db), "--json")
    assert code == 0, out
    assert json.loads(out)["decisions_recomputed"] == 1
