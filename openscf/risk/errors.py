"""Errors of the default models: the caller handed a model artefact, a frame or a data set
that cannot be used. Each is an `InvalidRequest` (the input must change; nothing is
recorded) with a fixed ``code`` and a one-line message saying what to do. The tree is drawn
once, in the docstring of `openscf.errors`.
"""

from __future__ import annotations

from openscf.errors import InvalidRequest

__all__ = ["DatasetError", "FeatureSetMismatchError", "ModelArtefactError"]


class ModelArtefactError(InvalidRequest):
    """A model artefact that may not be loaded: its bytes do not hash to the recorded
    content hash, or it is not an artefact this version of openscf can read."""

    code = "model_artefact_rejected"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(type(self).code, message, param)


class FeatureSetMismatchError(InvalidRequest):
    """Features that are not the model's: other names, another order or another version
    of the feature set."""

    code = "feature_set_mismatch"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(type(self).code, message, param)


class DatasetError(InvalidRequest):
    """A data set that cannot train or test a two-class model: a missing target column, a
    target with other than two classes, too few rows of a class, no usable columns."""

    code = "invalid_dataset"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(type(self).code, message, param)
