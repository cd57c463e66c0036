"""Risk: credit features and models, explanations, fraud detection, pricing and monitoring.

May import: `openscf.domain`, `openscf.trust` and numeric libraries.

- features (`features`, `_registry`, `_source`): point-in-time supplier features written
  once in Ibis, run on DuckDB, PostgreSQL or Spark;
- `models`, `training`, `evaluation`, `backtest`, `monitoring`: default models, their
  artefacts, evaluation with intervals, PSI and model cards;
- `scoring`, `pricing`: the scorer registry the auditor recomputes decisions with, and the
  indicative price in bps;
- `openscf.risk.fraud`: fraud detectors over a network's observable trade (duplicates,
  phantom invoices, circular trading, volume jumps), each flag with its evidence.
"""

from openscf.risk._registry import FEATURE_NAMES, FEATURES, Feature, describe, feature
from openscf.risk._source import ENGINES, Source, load_into_postgres, open_source
from openscf.risk.features import compute_features, cut_to, relationships
from openscf.risk.fraud import FraudFlag, detect_all, detect_fraud, load_trade_data
from openscf.risk.scoring import scorer_kinds

# The default models' scorer (`openscf-risk-model/1`) is registered on import, so that any
# process that imports the risk package (the auditor's too) recomputes their decisions.
scorer_kinds()

__all__ = [
    "ENGINES",
    "FEATURES",
    "FEATURE_NAMES",
    "Feature",
    "FraudFlag",
    "Source",
    "compute_features",
    "cut_to",
    "describe",
    "detect_all",
    "detect_fraud",
    "feature",
    "load_into_postgres",
    "load_trade_data",
    "open_source",
    "relationships",
]
