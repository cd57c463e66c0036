"""ERP payables CSV: header rules, per-row errors with line and column, import policy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openscf.documents.payables_csv import COLUMNS, parse_payables_csv

DATA = Path(__file__).parent / "data"
HEADER = ",".join(COLUMNS)


def parse_file(name: str):
    return parse_payables_csv((DATA / name).read_bytes(), source=name)


def test_a_good_file_gives_every_row_in_minor_units_of_its_currency():
    result = parse_file("payables_good.csv")
    assert result.fatal is None and result.ok
    rows = result.importable()
    assert [(r.line, r.invoice_number, r.currency, r.amount_minor) for r in rows] == [
        (2, "INV-1001", "EUR", 1_250_000),
        (3, "INV-1002", "EUR", 9_950),
        (4, "A-2025/17", "JPY", 150_000),
        (5, "K-9", "KWD", 10_125),
    ]
    first = rows[0]
    assert (first.invoice_date, first.due_date) == (date(2025, 1, 15), date(2025, 3, 16))
    assert (first.supplier_id, first.order_number, first.disputed) == ("SUP-001", "PO-77", False)
    assert rows[1].order_number is None
    assert rows[2].disputed is True
    assert rows[3].disputed is False


def test_each_bad_row_names_its_line_and_column_with_a_stable_code():
    result = parse_file("payables_row_errors.csv")
    assert result.fatal is None
    found = {(e.line, e.element, e.code) for e in result.errors}
    assert found == {
        (3, "invoice_date", "invalid_date"),
        (4, "due_date", "due_before_invoice_date"),
        (5, "amount", "amount_precision"),
        (6, "amount", "amount_precision"),
        (7, "amount", "amount_not_positive"),
        (8, "amount", "amount_not_positive"),
        (9, "amount", "invalid_amount"),
        (10, "invoice_number", "duplicate_invoice_number"),
        (12, "invoice_date", "invalid_date"),
        (12, "disputed", "invalid_boolean"),
        (13, "currency", "invalid_currency"),
        (14, None, "wrong_field_count"),
    }
    assert all(e.source == "payables_row_errors.csv" for e in result.errors)
    duplicate = next(e for e in result.errors if e.code == "duplicate_invoice_number")
    assert "line 2" in duplicate.message


def test_a_file_with_row_errors_imports_nothing_unless_partial_import_is_asked_for():
    result = parse_file("payables_row_errors.csv")
    assert not result.ok and not result.has_fatal_error
    assert result.importable() == ()
    partial = result.importable(partial=True)
    assert [(r.line, r.supplier_id, r.invoice_number) for r in partial] == [
        (2, "SUP-001", "INV-1"),
        (11, "SUP-002", "INV-1"),
    ]


def test_a_header_with_wrong_missing_and_unknown_columns_is_a_fatal_error_naming_them():
    result = parse_file("payables_bad_header.csv")
    assert result.has_fatal_error
    assert result.fatal is not None
    assert result.fatal.code == "invalid_header"
    assert "missing columns: due_date" in result.fatal.message
    assert "unknown columns: due, comment" in result.fatal.message
    assert result.rows == ()
    assert result.importable(partial=True) == ()


def test_a_repeated_column_is_a_fatal_error():
    result = parse_payables_csv(HEADER + ",amount\n")
    assert result.fatal is not None and "repeated columns: amount" in result.fatal.message


def test_columns_may_come_in_any_order_with_spaces_and_any_case_in_the_header():
    text = (
        " Disputed , AMOUNT,currency,due_date,invoice_date,invoice_number,"
        "order_number,supplier_id\n"
        "true,1.00,EUR,2025-02-01,2025-01-01,X1,,S1\n"
    )
    (row,) = parse_payables_csv(text).importable()
    assert (row.invoice_number, row.amount_minor, row.disputed) == ("X1", 100, True)


def test_an_empty_file_and_a_non_utf8_file_are_fatal():
    assert parse_payables_csv(b"").fatal is not None
    assert parse_payables_csv(b"").fatal.code == "empty_file"  # type: ignore[union-attr]
    latin1 = (HEADER + "\nN\xe4,2025-01-01,2025-01-02,EUR,1.00,S,,false\n").encode("latin-1")
    fatal = parse_payables_csv(latin1).fatal
    assert fatal is not None and fatal.code == "invalid_encoding"


def test_a_byte_order_mark_and_blank_lines_are_tolerated_and_line_numbers_stay_physical():
    text = "\ufeff" + HEADER + "\n\nA1,2025-01-01,2025-01-31,EUR,5.00,S1,,false\n"
    result = parse_payables_csv(text.encode("utf-8"))
    assert [r.line for r in result.importable()] == [3]


def test_a_quoted_field_spanning_lines_keeps_the_next_row_on_its_physical_line():
    text = (
        HEADER
        + '\n"multi\nline",2025-01-01,2025-01-31,EUR,5.00,S1,,false\n'
        + "B2,2025-01-01,2025-01-31,EUR,bad,S1,,false\n"
    )
    result = parse_payables_csv(text)
    assert [e.line for e in result.errors] == [4]


def test_a_missing_required_value_is_an_error_for_that_column():
    text = HEADER + "\n,2025-01-01,,EUR,,,,false\n"
    codes = {(e.element, e.code) for e in parse_payables_csv(text).errors}
    assert codes == {
        ("invoice_number", "missing_value"),
        ("due_date", "missing_value"),
        ("amount", "missing_value"),
        ("supplier_id", "missing_value"),
    }


def test_a_header_only_file_has_no_rows_and_no_errors():
    result = parse_payables_csv(HEADER + "\n")
    assert result.ok and result.rows == ()
