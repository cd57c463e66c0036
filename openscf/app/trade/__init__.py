"""Real trade in, real money out: the use cases of trade documents and payments.

    desk = TradeDesk(service)                       # over a NetworkService
    desk.import_invoices(user, [(name, bytes)])     # UBL / CII, validated and matched
    desk.import_orders / import_deliveries / import_payables
    desk.confirm(user, doc_id)                      # the three-way-match gate (domain)
    desk.request_override(user, doc_id) / approve_override(checker, apr_id)
    desk.export_payments(on=date, out_dir=path)     # pain.001.001.09 files
    desk.import_statement(name, bytes)              # camt.053/054 -> reconciled payments
    desk.export_fingerprints / import_fingerprints  # HMAC registry exchange

Documents and bank messages are stored off the log (tables in `openscf.store.tables`,
section "trade documents and payments", read and written through
`openscf.store.trade_documents`, on the unit of work's connection); every decision taken
on them is a signed domain command in the log:
`ConfirmTradeInvoice` (with the document's hash, fingerprint and match status),
`RequestMatchOverride` / `ApproveMatchOverride` (maker-checker), `ReconcilePayment`.

Each call is one database transaction: an import whose files or rows have errors
imports nothing (unless `partial`), and a statement for an unknown account changes
nothing. Errors name the file, line or element.

The package is split by use case: `invoices`, `orders` and `payables` import documents
(through `imports`, all or nothing); `matching` is the three-way match and its
tolerances; `confirmation` the gate and its override; `fingerprints` the invoice registry
and its exchange; `payments` writes pain.001 files, `payment_status` reads the bank's
pain.002 answer to them, `statements` reconciles camt statements. `context` holds what
they share (the service, the actor checks), `parties` who a document's parties are,
`records` the stored document row, `results` what each use case reports. `TradeDesk`
(in `desk`) is the one object the adapters use. The package imports the app's service,
the store's trade tables and the documents layer; nothing in it reaches the adapters.
"""

from openscf.app.trade.desk import TradeDesk
from openscf.app.trade.fingerprints import default_key_id, read_key_file
from openscf.app.trade.matching import DEFAULT_TOLERANCE
from openscf.app.trade.payments import payment_is_final
from openscf.app.trade.records import DELIVERY_KINDS, INVOICE_KINDS
from openscf.app.trade.results import (
    ImportItem,
    ImportReport,
    PaymentExport,
    PaymentStatusImport,
    StatementReport,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "DELIVERY_KINDS",
    "INVOICE_KINDS",
    "ImportItem",
    "ImportReport",
    "PaymentExport",
    "PaymentStatusImport",
    "StatementReport",
    "TradeDesk",
    "default_key_id",
    "payment_is_final",
    "read_key_file",
]
