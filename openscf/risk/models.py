"""Default models as artefacts an auditor can load without running anyone's code.

A model is one JSON artefact (format `openscf-risk-model/1`) that holds everything that
decides a score: the feature set it reads (names, order, kinds, version), the model body,
the calibration that turns its log-odds into a probability of default, the grade bands, and
the training population's medians and mean contributions that the reasons compare with.
Its content hash is the sha256 of the exact artefact bytes; a loader is handed the bytes and
the hash it was recorded with and refuses the artefact when they differ, before it parses
anything. Parsing is `json.loads` and, for the challenger, LightGBM's own text-model parser
(`lightgbm.Booster(model_str=...)`): no pickle, nothing in an artefact is ever executed.

Two kinds of body:

- ``scorecard`` (the champion): per feature, the bins (numeric split points, or groups of
  categories) and the log-odds each bin adds, plus an intercept. Scored here in numpy: a
  credit committee reads the same table as points (600 points at good:bad odds of 50:1,
  20 points to double the odds).
- ``lightgbm`` (the challenger): LightGBM's text model format, kept as a string inside the
  artefact so that one hash covers the trees *and* the calibration and grade bands used
  with them. Its per-feature contributions are LightGBM's own (TreeSHAP, ``pred_contrib``).

Reasons: for each score, the features whose contribution raises the log-odds most above the
training population's mean contribution, in words ("late deliveries: 18 % of the last 90
days, network median 4 %"), with the registry's words and units when the feature set has
them and the column name otherwise.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from openscf.risk.errors import FeatureSetMismatchError, ModelArtefactError

__all__ = [
    "ARTEFACT_FORMAT",
    "GRADES",
    "KINDS",
    "Calibration",
    "FeatureInfo",
    "FeatureSet",
    "Model",
    "Reason",
    "Score",
    "content_hash",
    "grade_of",
    "load_model",
]

ARTEFACT_FORMAT = "openscf-risk-model/1"
KINDS = ("scorecard", "lightgbm")
FeatureKind = Literal["numerical", "categorical"]
Floats = npt.NDArray[np.float64]

# Risk grades on the calibrated probability of default over the model's horizon: a grade
# is the first band whose upper bound (exclusive) exceeds the PD. Stated in docs/risk.md.
GRADES: tuple[tuple[str, float], ...] = (
    ("A", 0.0025),
    ("B", 0.005),
    ("C", 0.01),
    ("D", 0.02),
    ("E", 0.05),
    ("F", 0.10),
    ("G", math.inf),
)

# Scorecard points: 600 at good:bad odds of 50:1, 20 points to double the odds.
POINTS_AT_ODDS = (600.0, 50.0)
POINTS_TO_DOUBLE_ODDS = 20.0


def content_hash(data: bytes) -> str:
    """The content hash of an artefact: sha256 of its exact bytes, lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def grade_of(pd_value: float, grades: Sequence[tuple[str, float]] = GRADES) -> str:
    for name, upper in grades:
        if pd_value < upper:
            return name
    return grades[-1][0]


# --- the feature set ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureInfo:
    """One input of a model: its column name, whether it is numeric or categorical, and
    (from the feature registry, when there is one) its words, unit and family."""

    name: str
    kind: FeatureKind = "numerical"
    words: str | None = None
    unit: str | None = None
    family: str | None = None
    window: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "words": self.words,
            "unit": self.unit,
            "family": self.family,
            "window": self.window,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureInfo:
        kind = data["kind"]
        if kind not in ("numerical", "categorical"):
            raise ValueError(f"unknown feature kind {kind!r}")
        return cls(
            name=str(data["name"]),
            kind=kind,
            words=_opt_str(data.get("words")),
            unit=_opt_str(data.get("unit")),
            family=_opt_str(data.get("family")),
            window=_opt_str(data.get("window")),
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class FeatureSet:
    """The features a model reads, in order, and the version of the feature logic that
    computed them. Two feature sets match only when names, order, kinds and version all
    agree."""

    features: tuple[FeatureInfo, ...]
    version: str

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def __getitem__(self, name: str) -> FeatureInfo:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def subset(self, names: Iterable[str]) -> FeatureSet:
        """Only these features (in this set's order), the same version."""
        wanted = set(names)
        return FeatureSet(tuple(f for f in self.features if f.name in wanted), self.version)

    def families(self) -> list[str]:
        return sorted({f.family or "" for f in self.features})

    @classmethod
    def from_registry(
        cls, registry: Sequence[Any], names: Sequence[str] | None = None
    ) -> FeatureSet:
        """The feature set of a feature registry (`openscf.risk.FEATURES`: entries with
        ``name``, ``family``, ``description``, ``unit``, ``window`` and ``categorical``),
        all of it or the `names` given, in the registry's order. The version is a hash of
        the whole registry's names, families, units and windows: a registry that changes
        gives another version, and models trained on the old one refuse its features."""
        shape = json.dumps(
            [[e.name, e.family, e.unit, e.window, bool(e.categorical)] for e in registry]
        ).encode()
        version = "features-" + hashlib.sha256(shape).hexdigest()[:12]
        wanted = None if names is None else set(names)
        infos = tuple(
            FeatureInfo(
                name=e.name,
                kind="categorical" if e.categorical else "numerical",
                words=e.description,
                unit=e.unit,
                family=e.family,
                window=e.window or None,
            )
            for e in registry
            if wanted is None or e.name in wanted
        )
        return cls(infos, version)

    @classmethod
    def infer(
        cls,
        frame: pd.DataFrame,
        columns: Sequence[str] | None = None,
        *,
        registry: Mapping[str, Any] | None = None,
        version: str | None = None,
    ) -> FeatureSet:
        """A feature set from a frame's columns: numeric columns are numerical, any other
        column categorical. Words, unit and family come from `registry` (name -> an object
        or mapping with those attributes) when it knows the column. Without `version`, the
        version is a hash of the names and kinds (so two frames of the same shape match)."""
        cols = list(frame.columns if columns is None else columns)
        infos = []
        for name in cols:
            numeric = pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(
                frame[name]
            )
            entry = None if registry is None else registry.get(name)
            infos.append(
                FeatureInfo(
                    name=str(name),
                    kind="numerical" if numeric else "categorical",
                    words=_attr(entry, "words"),
                    unit=_attr(entry, "unit"),
                    family=_attr(entry, "family"),
                )
            )
        if version is None:
            shape = json.dumps([[f.name, f.kind] for f in infos]).encode()
            version = "cols-" + hashlib.sha256(shape).hexdigest()[:12]
        return cls(tuple(infos), version)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "features": [f.to_json() for f in self.features]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSet:
        return cls(tuple(FeatureInfo.from_json(f) for f in data["features"]), str(data["version"]))

    def check_same(self, other: FeatureSet) -> None:
        """Refuse another feature set: other names, another order, kinds or version."""
        if other.names != self.names:
            missing = [n for n in self.names if n not in other.names]
            extra = [n for n in other.names if n not in self.names]
            if missing or extra:
                raise FeatureSetMismatchError(
                    "the features are not the model's: "
                    + _listing(missing, "missing")
                    + (", " if missing and extra else "")
                    + _listing(extra, "not in the model")
                    + "; compute the model's feature set",
                    "features",
                )
            raise FeatureSetMismatchError(
                "the features are the model's but in another order; pass them in the model's order",
                "features",
            )
        if other.version != self.version:
            raise FeatureSetMismatchError(
                f"the features come from feature set version {other.version!r}, the model "
                f"was trained on {self.version!r}; compute features with the model's version "
                "or train a model on the new one",
                "features",
            )
        kinds = [
            f.name for f, g in zip(self.features, other.features, strict=True) if f.kind != g.kind
        ]
        if kinds:
            raise FeatureSetMismatchError(
                f"feature(s) {', '.join(kinds)} have another kind than the model's", "features"
            )

    def check_frame(self, frame: pd.DataFrame) -> None:
        """Refuse a frame that does not carry this feature set: a missing column, a
        numerical feature that is not numeric, or (when the frame says which feature set
        version computed it, in ``frame.attrs["feature_set_version"]``) another version."""
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise FeatureSetMismatchError(
                "the frame lacks the model's feature(s) "
                + ", ".join(missing[:5])
                + (" ..." if len(missing) > 5 else "")
                + "; compute the model's feature set",
                "features",
            )
        stated = frame.attrs.get("feature_set_version")
        if stated is not None and str(stated) != self.version:
            raise FeatureSetMismatchError(
                f"the frame's features are version {stated!r}, the model's {self.version!r}; "
                "compute features with the model's version",
                "features",
            )
        for f in self.features:
            if f.kind == "numerical" and not (
                pd.api.types.is_numeric_dtype(frame[f.name])
                or pd.api.types.is_bool_dtype(frame[f.name])
            ):
                raise FeatureSetMismatchError(
                    f"feature {f.name} must be numeric for this model", f.name
                )


def _attr(entry: Any, name: str) -> str | None:
    if entry is None:
        return None
    value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
    return None if value is None else str(value)


def _listing(names: list[str], what: str) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    return f"{what}: {shown}"


# --- calibration, reasons, scores ----------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Platt scaling: PD = 1 / (1 + exp(-(slope * log_odds + intercept))), fitted on a
    held-out part of the training data. ``method`` "none" keeps the model's own log-odds."""

    method: Literal["platt", "none"] = "none"
    slope: float = 1.0
    intercept: float = 0.0
    fitted_on: str = ""

    def apply(self, log_odds: Floats) -> Floats:
        z = self.slope * log_odds + self.intercept if self.method == "platt" else log_odds
        return _sigmoid(z)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "slope": self.slope,
            "intercept": self.intercept,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        method = data["method"]
        if method not in ("platt", "none"):
            raise ValueError(f"unknown calibration {method!r}")
        return cls(method, float(data["slope"]), float(data["intercept"]), str(data["fitted_on"]))


def _sigmoid(z: Floats) -> Floats:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -700, 700))), dtype=np.float64)


@dataclass(frozen=True)
class Reason:
    """Why a score is high: one feature, how far it moved the log-odds above the
    population's mean contribution, and the sentence a person reads."""

    feature: str
    impact: float
    value: Any
    reference: Any
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "impact": self.impact,
            "value": _jsonable(self.value),
            "reference": _jsonable(self.reference),
            "text": self.text,
        }


@dataclass(frozen=True)
class Score:
    pd: float
    grade: str
    log_odds: float
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pd": self.pd,
            "grade": self.grade,
            "log_odds": self.log_odds,
            "reasons": [r.to_json() for r in self.reasons],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_value(value: Any, unit: str | None, *, short: bool = False) -> str:
    """A feature value in words, by the registry's units: ``share`` as a percentage
    ("18 %"), ``days`` and ``minor`` (units) after the number, ``growth`` as a signed
    percentage, ``count``, ``ratio`` and ``score`` as plain numbers; any other unit after the
    number. A unit may carry words after its first ("share of the last 90 days"), dropped
    when ``short``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "not known"
    if isinstance(value, str):
        return value
    v = float(value)
    unit = (unit or "").strip()
    head, _, rest = unit.partition(" ")
    tail = "" if short or not rest else f" {rest}"
    if head in ("share", "fraction"):
        return f"{_number(v * 100)} %{tail}"
    if head == "%":
        return f"{_number(v)} %{tail}"
    if head == "growth":
        return f"{v * 100:+.0f} %{tail}"
    if head == "minor":
        return f"{_number(v)} minor units{tail}"
    if head in ("count", "ratio", "score", "category", ""):
        return f"{_number(v)}{tail}"
    return f"{_number(v)} {unit}".strip()


def _number(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.2g}" if abs(v) < 1 else f"{v:.2f}".rstrip("0").rstrip(".")


# --- the model -------------------------------------------------------------------------


@dataclass
class Model:
    """A trained model as its artefact describes it. Build with `openscf.risk.training`,
    load with `load_model`; score with `score` / `predict_pd`."""

    kind: str
    target: str
    feature_set: FeatureSet
    body: dict[str, Any]
    calibration: Calibration = field(default_factory=Calibration)
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference_label: str = "network median"
    grades: tuple[tuple[str, float], ...] = GRADES
    trained: dict[str, Any] = field(default_factory=dict)
    model_id: str = ""
    _booster: Any = field(default=None, repr=False, compare=False)

    # -- the artefact ------------------------------------------------------------------

    def _content(self) -> dict[str, Any]:
        return {
            "format": ARTEFACT_FORMAT,
            "kind": self.kind,
            "target": self.target,
            "feature_set": self.feature_set.to_json(),
            "body": self.body,
            "calibration": self.calibration.to_json(),
            "reference": self.reference,
            "reference_label": self.reference_label,
            "grades": [[g, None if math.isinf(u) else u] for g, u in self.grades],
            "trained": self.trained,
        }

    def assign_id(self) -> str:
        """The model id: the kind, the target and a hash of everything but the id, so the
        same training gives the same id."""
        digest = hashlib.sha256(_canonical(self._content())).hexdigest()[:16]
        self.model_id = f"{self.kind}-{self.target}-{digest}"
        return self.model_id

    def artefact_bytes(self) -> bytes:
        if not self.model_id:
            self.assign_id()
        return _canonical({"model_id": self.model_id, **self._content()})

    @property
    def sha256(self) -> str:
        return content_hash(self.artefact_bytes())

    def record(self) -> dict[str, Any]:
        """What a decision or a registry keeps to find and check this model."""
        return {
            "model_id": self.model_id or self.assign_id(),
            "kind": self.kind,
            "target": self.target,
            "sha256": self.sha256,
            "feature_set_version": self.feature_set.version,
        }

    # -- scoring -----------------------------------------------------------------------

    def contributions(self, frame: pd.DataFrame) -> tuple[Floats, Floats]:
        """Per-row, per-feature log-odds contributions (rows x features) and the base
        log-odds per row; their row sums give the model's raw log-odds."""
        self.feature_set.check_frame(frame)
        if self.kind == "scorecard":
            return _scorecard_contributions(self.body, self.feature_set, frame)
        return _lightgbm_contributions(self._lightgbm(), self.body, self.feature_set, frame)

    def log_odds(self, frame: pd.DataFrame) -> Floats:
        contrib, base = self.contributions(frame)
        return np.asarray(contrib.sum(axis=1) + base, dtype=np.float64)

    def predict_pd(self, frame: pd.DataFrame) -> Floats:
        return self.calibration.apply(self.log_odds(frame))

    def score(self, frame: pd.DataFrame, *, top: int = 3) -> list[Score]:
        """PD, grade and the top reasons of each row."""
        contrib, base = self.contributions(frame)
        raw = contrib.sum(axis=1) + base
        pds = self.calibration.apply(raw)
        means = np.array(
            [
                float(self.reference.get(n, {}).get("mean_contribution", 0.0))
                for n in self.feature_set.names
            ]
        )
        above = contrib - means
        out = []
        for i in range(len(frame)):
            order = np.argsort(-above[i], kind="stable")[:top]
            reasons = tuple(
                self._reason(frame, i, j, float(above[i, j])) for j in order if above[i, j] > 0
            )
            p = float(pds[i])
            out.append(Score(p, grade_of(p, self.grades), float(raw[i]), reasons))
        return out

    def _reason(self, frame: pd.DataFrame, row: int, j: int, impact: float) -> Reason:
        info = self.feature_set.features[j]
        value = frame[info.name].iloc[row]
        if _is_missing(value):
            value = None
        words = info.words or info.name
        ref = self.reference.get(info.name, {})
        unit = info.unit
        if unit == "ratio" and "growth" in info.name:
            unit = "growth"
        window = f" {info.window}" if info.window and value is not None else ""
        if info.kind == "numerical":
            reference = ref.get("median")
            value = None if value is None else float(value)
            text = (
                f"{words}: {format_value(value, unit)}{window}, {self.reference_label} "
                f"{format_value(reference, unit, short=True)}"
            )
        else:
            reference = ref.get("mode")
            text = f"{words}: {format_value(None if value is None else str(value), None)}"
            if reference is not None:
                text += f", most common {reference}"
        return Reason(info.name, impact, value, reference, text)

    def _lightgbm(self) -> Any:
        if self._booster is None:
            import lightgbm

            self._booster = lightgbm.Booster(model_str=self.body["booster"])
        return self._booster

    # -- presentation ------------------------------------------------------------------

    def points_table(self) -> list[dict[str, Any]]:
        """The scorecard as points per bin (a credit committee's reading)."""
        if self.kind != "scorecard":
            return []
        factor = POINTS_TO_DOUBLE_ODDS / math.log(2)
        rows: list[dict[str, Any]] = []
        for feat in self.body["features"]:
            labels = _bin_labels(feat)
            for label, s in zip(labels, feat["scores"], strict=True):
                rows.append({"feature": feat["name"], "bin": label, "points": -factor * s})
            rows.append(
                {
                    "feature": feat["name"],
                    "bin": "missing",
                    "points": -factor * feat["missing_score"],
                }
            )
        return rows

    def base_points(self) -> float:
        factor = POINTS_TO_DOUBLE_ODDS / math.log(2)
        points, odds = POINTS_AT_ODDS
        offset = points - factor * math.log(odds)
        return offset - factor * float(self.body.get("intercept", 0.0))


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _canonical(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
    ).encode("utf-8")


def _bin_labels(feat: Mapping[str, Any]) -> list[str]:
    if feat["kind"] == "categorical":
        return [", ".join(map(str, group)) for group in feat["categories"]]
    edges = [-math.inf, *feat["splits"], math.inf]
    return [
        f"[{_number(a)}, {_number(b)})"
        if math.isfinite(a) and math.isfinite(b)
        else (
            f"< {_number(b)}"
            if math.isfinite(b)
            else (f">= {_number(a)}" if math.isfinite(a) else "all")
        )
        for a, b in itertools.pairwise(edges)
    ]


def _column(frame: pd.DataFrame, name: str) -> Floats:
    return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=np.float64)


def _scorecard_contributions(
    body: Mapping[str, Any], fs: FeatureSet, frame: pd.DataFrame
) -> tuple[Floats, Floats]:
    n = len(frame)
    out = np.zeros((n, len(fs.features)), dtype=np.float64)
    for j, feat in enumerate(body["features"]):
        scores = np.asarray(feat["scores"], dtype=np.float64)
        if feat["kind"] == "numerical":
            x = _column(frame, feat["name"])
            idx = np.searchsorted(np.asarray(feat["splits"], dtype=np.float64), x, side="right")
            idx = np.minimum(idx, len(scores) - 1)
            col = scores[idx]
            col[np.isnan(x)] = feat["missing_score"]
        else:
            lookup = {
                str(c): float(s)
                for group, s in zip(feat["categories"], scores, strict=True)
                for c in group
            }
            other = float(feat["other_score"])
            missing = float(feat["missing_score"])
            col = np.array(
                [
                    missing if _is_missing(v) else lookup.get(str(v), other)
                    for v in frame[feat["name"]]
                ],
                dtype=np.float64,
            )
        out[:, j] = col
    return out, np.full(n, float(body["intercept"]))


def lightgbm_matrix(body: Mapping[str, Any], fs: FeatureSet, frame: pd.DataFrame) -> Floats:
    """The numeric matrix LightGBM reads: numerical columns as they are, categorical ones
    as the index of the category in the artefact's list (unknown or missing: NaN)."""
    cats: Mapping[str, list[str]] = body.get("categories", {})
    cols = []
    for f in fs.features:
        if f.kind == "numerical":
            cols.append(_column(frame, f.name))
        else:
            index = {c: float(i) for i, c in enumerate(cats.get(f.name, []))}
            cols.append(
                np.array(
                    [
                        math.nan if _is_missing(v) else index.get(str(v), math.nan)
                        for v in frame[f.name]
                    ],
                    dtype=np.float64,
                )
            )
    if not cols:
        return np.zeros((len(frame), 0), dtype=np.float64)
    return np.column_stack(cols)


def _lightgbm_contributions(
    booster: Any, body: Mapping[str, Any], fs: FeatureSet, frame: pd.DataFrame
) -> tuple[Floats, Floats]:
    x = lightgbm_matrix(body, fs, frame)
    contrib = np.asarray(booster.predict(x, pred_contrib=True), dtype=np.float64)
    return contrib[:, :-1], contrib[:, -1]


# --- loading -----------------------------------------------------------------------------


def load_model(
    data: bytes, *, expected_sha256: str, feature_set: FeatureSet | None = None
) -> Model:
    """Load an artefact from its bytes, refusing it when they do not hash to the recorded
    content hash (checked before anything is parsed), when it is not a model artefact this
    openscf reads, or when `feature_set` is given and is not the model's (names, order,
    kinds, version). Loading parses JSON (and LightGBM's text format); it runs no code."""
    actual = content_hash(data)
    if actual != expected_sha256.strip().lower():
        raise ModelArtefactError(
            f"the model artefact's sha256 is {actual[:16]}..., the record says "
            f"{expected_sha256[:16]}...; it was changed or is another model: load the "
            "recorded artefact",
            "sha256",
        )
    try:
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != ARTEFACT_FORMAT:
            raise ValueError(f"not a {ARTEFACT_FORMAT} artefact")
        kind = doc["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}")
        grades = tuple((str(g), math.inf if u is None else float(u)) for g, u in doc["grades"])
        model = Model(
            kind=kind,
            target=str(doc["target"]),
            feature_set=FeatureSet.from_json(doc["feature_set"]),
            body=dict(doc["body"]),
            calibration=Calibration.from_json(doc["calibration"]),
            reference=dict(doc["reference"]),
            reference_label=str(doc["reference_label"]),
            grades=grades,
            trained=dict(doc["trained"]),
            model_id=str(doc["model_id"]),
        )
        _check_body(model)
        if kind == "lightgbm" and model._lightgbm().num_feature() != len(model.feature_set.names):
            raise ValueError("the LightGBM model reads another number of features")
    except ModelArtefactError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError) as exc:
        raise ModelArtefactError(
            f"the artefact is not a readable openscf model: {_first_line(exc)}", "artefact"
        ) from None
    except Exception as exc:  # LightGBM's parser raises its own error type
        raise ModelArtefactError(
            f"the LightGBM model in the artefact does not load: {_first_line(exc)}",
            "artefact",
        ) from None
    if feature_set is not None:
        model.feature_set.check_same(feature_set)
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _check_body(model: Model) -> None:
    names = model.feature_set.names
    if model.kind == "scorecard":
        feats = model.body["features"]
        if [f["name"] for f in feats] != names:
            raise ValueError("the scorecard's features are not its feature set")
        float(model.body["intercept"])
        for f in feats:
            n_bins = len(f["categories"]) if f["kind"] == "categorical" else len(f["splits"]) + 1
            if len(f["scores"]) != n_bins:
                raise ValueError(
                    f"feature {f['name']} has {len(f['scores'])} scores for {n_bins} bins"
                )
    elif not isinstance(model.body.get("booster"), str):
        raise ValueError("the artefact holds no LightGBM text model")
