"""Scorers: from a model artefact's exact bytes and a feature vector to a decision's output.

Every recorded risk decision cites a registered model (`RegisterRiskModel`: id, `kind`,
content hash, feature names). The model's `kind` names a scorer here; the auditor
(`openscf.app.audit`) looks the scorer up, hands it the exported artefact and the
decision's feature vector and compares what it computes with the recorded output. A
scorer must therefore be *deterministic*: the same bytes and features give the same
output, on any machine. Outputs are JSON objects of canonical values (no floats: bps,
whole numbers, strings, booleans).

    register_scorer("my-model/1", my_scorer)      # my_scorer(artefact, features) -> dict
    score("my-model/1", artefact_bytes, features)  # the output

Feature vectors are JSON objects of integers, strings (a fraction as decimal text) and
nulls (`feature_value` turns a Python number into one); `features_text` gives the exact
canonical text a decision records and `features_sha256` its hash.

Built in: `openscf-points/1` (`openscf.risk.points`, a points scorecard),
`openscf-pricing/1` (`openscf.risk.pricing`'s formula over stated parameters) and
`openscf-risk-model/1` (`openscf.risk.model_scorer`: the default models' artefacts).
May import: `openscf.domain`, `openscf.trust` and the standard library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from openscf.trust.canonical import canonical_bytes

__all__ = [
    "FeatureValue",
    "Scorer",
    "ScorerError",
    "feature_value",
    "features_sha256",
    "features_text",
    "register_scorer",
    "score",
    "scorer_kinds",
]

FeatureValue = int | str | None
Scorer = Callable[[bytes, Mapping[str, FeatureValue]], dict[str, Any]]

_SCORERS: dict[str, Scorer] = {}


class ScorerError(ValueError):
    """An artefact or feature vector a scorer cannot read (named in the message)."""


def register_scorer(kind: str, scorer: Scorer, *, replace: bool = False) -> None:
    """Make `scorer` the one that computes decisions of models of `kind`."""
    if kind in _SCORERS and not replace and _SCORERS[kind] is not scorer:
        raise ValueError(f"a scorer for {kind!r} is already registered")
    _SCORERS[kind] = scorer


def scorer_kinds() -> tuple[str, ...]:
    _load_builtins()
    return tuple(sorted(_SCORERS))


def score(kind: str, artefact: bytes, features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    """The output of a model of `kind` with this artefact on these features."""
    _load_builtins()
    scorer = _SCORERS.get(kind)
    if scorer is None:
        raise ScorerError(f"no scorer for model kind {kind!r} (known: {', '.join(_SCORERS)})")
    try:
        return scorer(artefact, features)
    except ScorerError:
        raise
    except (ArithmeticError, AttributeError, KeyError, LookupError, TypeError, ValueError) as exc:
        # An artefact the scorer cannot read is the artefact's fault, never a crash.
        raise ScorerError(f"the {kind} scorer cannot read this artefact: {exc!r}") from None


def feature_value(value: object) -> FeatureValue:
    """A feature as it travels: whole numbers stay; other numbers become exact decimal
    text (a float by its shortest round-trip form); None and strings stay."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        text = repr(value) if isinstance(value, float) else str(value)
        if text in ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity"):
            return None
        return text
    raise TypeError(f"a feature is a number, text or None, not {type(value).__name__}")


def features_text(features: Mapping[str, object]) -> str:
    """The canonical text of a feature vector, as a decision records it."""
    return canonical_bytes({k: feature_value(v) for k, v in features.items()}).decode()


def features_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_artefact_json(artefact: bytes, fmt: str) -> dict[str, Any]:
    """An artefact that is a JSON object whose "format" is `fmt`."""
    try:
        data = json.loads(artefact.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScorerError(f"the artefact is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ScorerError(f"the artefact is not an {fmt} model")
    return data


def as_decimal(name: str, value: FeatureValue) -> Decimal | None:
    """A numeric feature as an exact Decimal (None stays None)."""
    if value is None:
        return None
    try:
        number = Decimal(value) if isinstance(value, str) else Decimal(int(value))
    except ArithmeticError:
        raise ScorerError(f"feature {name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ScorerError(f"feature {name} is not finite")
    return number


_loaded = False


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from openscf.risk import model_scorer, points, pricing_model

        register_scorer(points.KIND, points.score_points)
        register_scorer(pricing_model.KIND, pricing_model.score_price)
        register_scorer(model_scorer.KIND, model_scorer.score_model)
