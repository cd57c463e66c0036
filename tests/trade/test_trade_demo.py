"""The demo's trade leg: invoices from UBL documents, settlements out as pain.001 and
reconciled from the camt.053 the demo writes as the bank would."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sqlalchemy import Engine

from openscf.app import FixedClock, NetworkService
from openscf.app.audit import audit, db_source
from openscf.domain.replay import replay
from openscf.sim.trade_demo import run_trade_demo
from openscf.store.queries import count_events_by_type, iter_events

from .conftest import START


def test_the_trade_demo_runs_documents_to_reconciled_payments(
    engine: Engine, tmp_path: Path, rules_dir: Path, einvoice: Path
) -> None:
    svc = NetworkService(engine, FixedClock(START), seed=3)
    svc.bootstrap_operator()
    steps: list[str] = []
    result = run_trade_demo(
        engine, svc, out_dir=tmp_path, data_dir=rules_dir, progress=steps.append
    )
    assert result.ok, result.to_dict()
    assert result.documents == {"orders": 3, "despatches": 3, "invoices": 3}
    assert len(result.confirmed) == 3 and len(result.overrides) == 1
    assert {r["code"] for r in result.refused} == {"three_way_match_failed", "duplicate_invoice"}
    # One disbursement plus three settlements, each reconciled from a bank statement.
    assert result.instructions == result.reconciled == 4
    assert len(result.final_settlements) == 3
    schemas = {
        "pain": einvoice.parent / "iso20022" / "xsd" / "pain.001.001.09.xsd",
        "camt053": einvoice.parent / "iso20022" / "xsd" / "camt.053.001.08.xsd",
    }
    for kind, paths in (("pain", result.payment_files), ("camt053", result.statement_files)):
        schema = etree.XMLSchema(etree.parse(str(schemas[kind])))
        for path in paths:
            assert schema.validate(etree.parse(path)), (path, schema.error_log)
    with engine.connect() as conn:
        counts = count_events_by_type(conn)
        check = replay(iter_events(conn))
    assert counts["TradeDocumentLinked"] == 3 and counts["PaymentReconciled"] == 4
    assert counts["MatchOverrideRequested"] == counts["MatchOverrideApproved"] == 1
    assert check.ok, check.violations
    assert audit(db_source(engine)).ok
    assert steps[-1].startswith("trade demo: the bank")
