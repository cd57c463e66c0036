"""Risk: credit features and models, explanations, fraud detection, pricing and monitoring.

May import: `openscf.domain`, `openscf.trust` and numeric libraries.

- `openscf.risk.fraud`: fraud detectors over a network's observable trade (duplicates,
  phantom invoices, circular trading, volume jumps), each flag with its evidence.
"""

from openscf.risk.fraud import FraudFlag, detect_all, detect_fraud, load_trade_data

__all__ = ["FraudFlag", "detect_all", "detect_fraud", "load_trade_data"]
