"""EN 16931 business rules, natively in Python, for UBL 2.1 and CII D16B alike.

Both syntaxes are first read into the same semantic model (business terms BT-n and business
groups BG-n of EN 16931-1), then one set of rules runs over that model:

- `model`: the semantic model (`Model` and its parts);
- `ubl_binding`, `cii_binding`: read one syntax into the model;
- `checks`: the rules over the model, and `Finding`;
- `rule_texts`: the official rule ids, flags and message texts (data).

This module is the front door: `check_element` reads either syntax and checks it.

May import: its own modules. Callers import from here, not from the modules.
"""

from __future__ import annotations

from openscf.documents import cii, ubl
from openscf.documents.en16931.checks import (
    RULE_IDS,
    Finding,
    Severity,
    check_model,
    rule_ids_of,
)
from openscf.documents.en16931.cii_binding import read_cii
from openscf.documents.en16931.model import El, Model
from openscf.documents.en16931.ubl_binding import read_ubl

__all__ = [
    "RULE_IDS",
    "Finding",
    "Model",
    "Severity",
    "build_model",
    "check_element",
    "check_model",
    "rule_ids_of",
]


def build_model(root: El) -> Model:
    """Read a UBL or CII invoice element into the EN 16931 semantic model."""
    if root.tag in ubl.ROOTS:
        return read_ubl(root)
    if root.tag == cii.ROOT:
        return read_cii(root)
    raise ValueError(f"not an invoice root element: {root.tag}")


def check_element(root: El) -> list[Finding]:
    """Run every native rule over a parsed UBL or CII invoice element."""
    return check_model(build_model(root))
