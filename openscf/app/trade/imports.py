"""Importing a batch of documents: all or nothing (unless partial), one result per file."""

from __future__ import annotations

from typing import Any

from openscf.app.trade.results import ImportItem, ImportReport
from openscf.store.trade_documents import TradeDocuments


def commit_rows(
    docs: TradeDocuments,
    kind: str,
    items: list[ImportItem],
    rows: list[dict[str, Any]],
    fingerprints: list[dict[str, Any]],
    partial: bool,
) -> ImportReport:
    report = ImportReport(kind, items, partial=partial)
    if not report.ok and not partial:
        for item in items:
            item.document_id = None if not item.imported else item.document_id
        return report
    good = [r for r in rows if r["_item"].ok]
    good_ids = {r["id"] for r in good}
    docs.add_documents(
        [
            {k: v for k, v in r.items() if not k.startswith("_") and k != "match_issues"}
            for r in good
        ]
    )
    docs.add_fingerprints([f for f in fingerprints if f["document_id"] in good_ids])
    for r in good:
        r["_item"].imported = True
    report.committed = True
    return report
