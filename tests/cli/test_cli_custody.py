"""`openscf audit` says who signed each organisation's events: a custodial key the server
holds, or a key the organisation holds itself."""

from __future__ import annotations

import json
from pathlib import Path

from openscf.cli import app

from .test_cli import _demo, runner


def test_the_audit_counts_custodial_and_own_key_signatures_per_organisation(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    report = json.loads(runner.invoke(app, ["audit", "--db", str(db), "--json"]).stdout)
    signed_by = report["signed_by"]
    assert len(signed_by) > 3
    # The demo's organisations all let the server sign: every event is custodial.
    assert sum(c["custodial"] for c in signed_by.values()) == report["events"]
    assert all(c["own_key"] == 0 for c in signed_by.values())
    text = runner.invoke(app, ["audit", "--db", str(db)])
    assert text.exit_code == 0, text.output
    assert f"signatures: {report['events']} by custodial keys" in text.output
    # Each organisation by name as well as id, and none dropped without saying so.
    assert "Neumann Electronics AG (org_" in text.output, text.output
    if len(signed_by) > 20:
        assert f"and {len(signed_by) - 20} more" in text.output
