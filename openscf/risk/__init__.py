"""Risk: credit features and models, explanations, fraud detection, pricing and monitoring.

May import: `openscf.domain`, `openscf.trust` and numeric libraries.
"""
