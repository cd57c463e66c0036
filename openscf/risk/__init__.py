"""Risk: credit features and models, explanations, fraud detection, pricing and monitoring.

May import: `openscf.domain`, `openscf.trust` and numeric libraries.
"""

from openscf.risk._registry import FEATURE_NAMES, FEATURES, Feature, describe, feature
from openscf.risk._source import ENGINES, Source, load_into_postgres, open_source
from openscf.risk.features import compute_features, cut_to, relationships
from openscf.risk.scoring import scorer_kinds

# The default models' scorer (`openscf-risk-model/1`) is registered on import, so that any
# process that imports the risk package (the auditor's too) recomputes their decisions.
scorer_kinds()

__all__ = [
    "ENGINES",
    "FEATURES",
    "FEATURE_NAMES",
    "Feature",
    "Source",
    "compute_features",
    "cut_to",
    "describe",
    "feature",
    "load_into_postgres",
    "open_source",
    "relationships",
]
