"""The synthetic economy: a seeded multi-tier supply network that drives the platform.

It acts only through `openscf.app` (never by writing tables) and keeps its ground-truth
labels apart from what the platform sees.

May import: `openscf.app`, `openscf.store`, `openscf.domain`, `openscf.trust`.
"""
