"""ERP payables files: the anchor's approved invoices as CSV.

The format is documented for users in `docs/payables-csv.md`. In short: UTF-8 (a BOM is
fine), comma-separated, a header row with exactly these columns in any order:

    invoice_number, invoice_date, due_date, currency, amount, supplier_id,
    order_number, disputed

`parse_payables_csv` never raises for bad content. It returns a `PayablesParseResult`:

- `fatal`: a file-level error (not UTF-8, empty, header with missing, unknown or repeated
  columns, too large). With a fatal error there are no rows at all.
- `rows`: one `RowResult` per data row with its 1-based line number and either the parsed
  `PayableRow` or every error found on that row (each naming line and column).

`importable(partial=False)` is what an importer may take: nothing if anything is wrong,
unless `partial=True`, in which case the good rows (never with a fatal error).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from openscf.documents.errors import DocumentError, InvalidValueError, from_money_error
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import exponent, parse_document_amount

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "PayableRow",
    "PayablesParseResult",
    "RowResult",
    "parse_payables_csv",
]

COLUMNS: tuple[str, ...] = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "amount",
    "supplier_id",
    "order_number",
    "disputed",
)
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TEXT = 200

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})


@dataclass(frozen=True, slots=True)
class PayableRow:
    """One approved payable: an invoice the anchor owes a supplier."""

    line: int
    invoice_number: str
    invoice_date: date
    due_date: date
    currency: str
    amount_minor: int
    supplier_id: str
    order_number: str | None
    disputed: bool


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome for one data row: a `PayableRow` or the errors that stop it."""

    line: int
    row: PayableRow | None
    errors: tuple[DocumentError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class PayablesParseResult:
    """A parsed payables file. `fatal` set means the file as a whole is unusable."""

    source: str
    fatal: DocumentError | None
    rows: tuple[RowResult, ...] = field(default_factory=tuple)

    @property
    def has_fatal_error(self) -> bool:
        return self.fatal is not None

    @property
    def ok(self) -> bool:
        """True when there is neither a fatal error nor any row error."""
        return self.fatal is None and all(r.ok for r in self.rows)

    @property
    def errors(self) -> tuple[DocumentError, ...]:
        """Every error: the fatal one, else all row errors in line order."""
        if self.fatal is not None:
            return (self.fatal,)
        return tuple(e for r in self.rows for e in r.errors)

    @property
    def good_rows(self) -> tuple[PayableRow, ...]:
        return tuple(r.row for r in self.rows if r.row is not None)

    def importable(self, *, partial: bool = False) -> tuple[PayableRow, ...]:
        """Rows an importer may take: all of them only if nothing is wrong.

        With `partial=True` the good rows of a file with row errors; never any row of a
        file with a fatal error.
        """
        if self.fatal is not None:
            return ()
        if partial or self.ok:
            return self.good_rows
        return ()


def _fatal(source: str, code: str, message: str, line: int | None = None) -> PayablesParseResult:
    return PayablesParseResult(
        source=source, fatal=DocumentError(message, code=code, source=source, line=line)
    )


_ErrorFactory = Callable[[str, str, str], DocumentError]


def _check_header(header: list[str], source: str) -> PayablesParseResult | dict[str, int]:
    names = [h.strip().lower() for h in header]
    seen: dict[str, int] = {}
    repeated: list[str] = []
    for position, name in enumerate(names):
        if name in seen:
            repeated.append(name or "(empty)")
        else:
            seen[name] = position
    missing = [c for c in COLUMNS if c not in seen]
    unknown = [n or "(empty)" for n in seen if n not in COLUMNS]
    problems: list[str] = []
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    if repeated:
        problems.append("repeated columns: " + ", ".join(repeated))
    if problems:
        return _fatal(
            source,
            "invalid_header",
            "; ".join(problems) + ". Expected exactly: " + ", ".join(COLUMNS),
            1,
        )
    return seen


def _parse_date(
    text: str, column: str, err: _ErrorFactory, errors: list[DocumentError]
) -> date | None:
    if not text:
        errors.append(err("missing_value", f"{column} is required", column))
        return None
    if not _DATE_RE.fullmatch(text):
        errors.append(err("invalid_date", f"{column} {text!r} is not a YYYY-MM-DD date", column))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(err("invalid_date", f"{column} {text!r} is not a calendar date", column))
        return None


def _parse_row(
    values: Mapping[str, str],
    line: int,
    source: str,
    first_seen: dict[tuple[str, str], int],
) -> RowResult:
    errors: list[DocumentError] = []

    def err(code: str, message: str, column: str) -> DocumentError:
        return InvalidValueError(message, code=code, source=source, line=line, element=column)

    for column in COLUMNS:
        if len(values[column]) > MAX_TEXT:
            errors.append(
                err("text_too_long", f"{column} is longer than {MAX_TEXT} characters", column)
            )
    if errors:
        return RowResult(line=line, row=None, errors=tuple(errors))

    number = values["invoice_number"]
    if not number:
        errors.append(err("missing_value", "invoice_number is required", "invoice_number"))
    supplier = values["supplier_id"]
    if not supplier:
        errors.append(err("missing_value", "supplier_id is required", "supplier_id"))

    issued = _parse_date(values["invoice_date"], "invoice_date", err, errors)
    due = _parse_date(values["due_date"], "due_date", err, errors)
    if issued is not None and due is not None and due < issued:
        errors.append(
            err(
                "due_before_invoice_date",
                f"due_date {due.isoformat()} is before invoice_date {issued.isoformat()}",
                "due_date",
            )
        )

    currency = values["currency"].upper()
    currency_ok = True
    try:
        exponent(currency)
    except InvalidRequest as exc:
        currency_ok = False
        refusal = from_money_error(exc)
        errors.append(err(refusal.code, refusal.message, "currency"))

    amount_minor: int | None = None
    amount_text = values["amount"]
    if not amount_text:
        errors.append(err("missing_value", "amount is required", "amount"))
    elif currency_ok:
        try:
            amount_minor = parse_document_amount(amount_text, currency)
        except InvalidRequest as exc:
            refusal = from_money_error(exc)
            errors.append(err(refusal.code, refusal.message, "amount"))
        else:
            if amount_minor <= 0:
                errors.append(
                    err(
                        "amount_not_positive",
                        f"amount {amount_text!r} must be greater than zero",
                        "amount",
                    )
                )

    disputed_text = values["disputed"].lower()
    disputed: bool | None = None
    if disputed_text in _TRUE:
        disputed = True
    elif disputed_text in _FALSE:
        disputed = False
    else:
        errors.append(
            err(
                "invalid_boolean",
                f"disputed must be true or false, got {values['disputed']!r}",
                "disputed",
            )
        )

    if number and supplier:
        key = (supplier, number)
        if key in first_seen:
            errors.append(
                err(
                    "duplicate_invoice_number",
                    f"invoice {number!r} of supplier {supplier!r} already appears on line "
                    f"{first_seen[key]}",
                    "invoice_number",
                )
            )
        else:
            first_seen[key] = line

    if errors:
        return RowResult(line=line, row=None, errors=tuple(errors))
    assert issued is not None and due is not None and amount_minor is not None
    assert disputed is not None
    return RowResult(
        line=line,
        row=PayableRow(
            line=line,
            invoice_number=number,
            invoice_date=issued,
            due_date=due,
            currency=currency,
            amount_minor=amount_minor,
            supplier_id=supplier,
            order_number=values["order_number"] or None,
            disputed=disputed,
        ),
    )


def parse_payables_csv(data: bytes | str, *, source: str = "payables.csv") -> PayablesParseResult:
    """Parse an ERP payables CSV; see the module docstring and docs/payables-csv.md.

    Duplicate detection is per supplier: the same invoice number from two suppliers is
    two invoices; the same number twice for one supplier is an error on the later line.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            return _fatal(source, "file_too_large", f"the file exceeds {MAX_FILE_BYTES} bytes")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _fatal(
                source,
                "invalid_encoding",
                f"the file is not UTF-8 (byte {exc.start} cannot be decoded)",
            )
    else:
        text = data.removeprefix("\ufeff")
        if len(text) > MAX_FILE_BYTES:
            return _fatal(source, "file_too_large", f"the file exceeds {MAX_FILE_BYTES} bytes")
    if "\x00" in text:
        return _fatal(source, "invalid_encoding", "the file contains NUL bytes")

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            return _fatal(source, "empty_file", "the file is empty; a header row is required")
        header_line = reader.line_num
        checked = _check_header(header, source)
        if isinstance(checked, PayablesParseResult):
            return checked
        positions = checked

        results: list[RowResult] = []
        first_seen: dict[tuple[str, str], int] = {}
        previous_end = header_line
        for record in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(header):
                results.append(
                    RowResult(
                        line=line,
                        row=None,
                        errors=(
                            InvalidValueError(
                                f"expected {len(header)} fields, found {len(record)}",
                                code="wrong_field_count",
                                source=source,
                                line=line,
                            ),
                        ),
                    )
                )
                continue
            values = {name: record[pos].strip() for name, pos in positions.items()}
            results.append(_parse_row(values, line, source, first_seen))
    except csv.Error as exc:
        return _fatal(source, "malformed_csv", f"the file is not valid CSV: {exc}", reader.line_num)
    return PayablesParseResult(source=source, fatal=None, rows=tuple(results))
