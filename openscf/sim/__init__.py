"""The synthetic economy: a seeded multi-tier supply network that drives the platform.

It acts only through `openscf.app` (never by writing tables) and keeps its ground-truth
labels apart from what the platform sees. `network_builder` sets up smaller, hand-made
networks (an anchor's program with its funder and suppliers) for tests and benches.

`economy.Economy.run` orchestrates one day at a time; each mechanism is its own module
(`trade`, `fraud`, `confirmation`, `dilution`, `transfer`, `finance`, `settlement`,
`defaults`, `onboarding`) over the shared books in `ledger`. A new mechanism is a new
module with a step called from `Economy._run_day`.

May import: `openscf.app`, `openscf.store`, `openscf.risk`, `openscf.domain`, `openscf.trust`.
"""
