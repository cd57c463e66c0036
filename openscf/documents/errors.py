"""Errors raised while reading trade documents: the `DocumentError` branch of the one tree.

Every error has a stable snake_case `code`, a `message` a person can act on, and a
`location` naming where in the input the problem is (source, line, element). A
`DocumentError` is an `InvalidRequest` (the caller's fault: the document must change);
the tree is drawn once, in the docstring of `openscf.errors`.
"""

from __future__ import annotations

from openscf.domain.errors import InvalidRequest


class DocumentError(InvalidRequest):
    """Base of all document errors. The caller's: the document, file or source given is
    wrong, and the message says where."""

    code = "document_error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        element: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(code if code is not None else type(self).code, message)
        self.source = source
        self.line = line
        self.element = element

    @property
    def location(self) -> str:
        """`source:line (element)`, with the parts that are known."""
        parts = self.source or ""
        if self.line is not None:
            parts = f"{parts}:{self.line}" if parts else f"line {self.line}"
        if self.element:
            parts = f"{parts} ({self.element})" if parts else self.element
        return parts

    def __str__(self) -> str:
        loc = self.location
        return f"{self.code}: {self.message}" + (f" [{loc}]" if loc else "")


class MalformedXmlError(DocumentError):
    """The input is not well-formed XML."""

    code = "malformed_xml"


class UnsafeXmlError(DocumentError):
    """The input uses XML features refused for safety (DOCTYPE, entities, external DTD)."""

    code = "unsafe_xml"


class DocumentTooLargeError(DocumentError):
    """The input is larger than the configured byte limit."""

    code = "document_too_large"


class UnknownDocumentTypeError(DocumentError):
    """The root element or its namespace is not a supported document type."""

    code = "unknown_document_type"


class MissingElementError(DocumentError):
    """A term the normalised document needs is absent."""

    code = "missing_element"


class InvalidValueError(DocumentError):
    """A value cannot be read (a bad date, a bad number, an unknown currency)."""

    code = "invalid_value"


class AmountPrecisionError(InvalidValueError):
    """An amount has more decimals than its currency's minor unit allows."""

    code = "amount_precision"


class RulesInstallError(DocumentError):
    """Installing validation artefacts failed (an unknown bundle, a source that is not the
    artefacts, a download refused or offline); nothing was installed. The caller's: the
    one who runs the install gives another source or bundle."""

    code = "rules_install_failed"


def from_money_error(exc: InvalidRequest, element: str | None = None) -> InvalidValueError:
    """A refusal by `openscf.domain.money` (which reads every amount) as a document error.

    Same message; the codes documents have always used (`invalid_currency`,
    `invalid_value` for a bad number, `amount_precision`, `invalid_amount`).
    """
    if exc.code == "amount_precision":
        return AmountPrecisionError(exc.message, element=element)
    code = _MONEY_CODES.get(exc.code, exc.code)
    return InvalidValueError(exc.message, code=code, element=element)


_MONEY_CODES = {"unknown_currency": "invalid_currency", "invalid_decimal": "invalid_value"}
