"""openscf: an open supply-chain finance network.

Layers (imports point inward only; an import-linter contract in the test suite holds it):

    cli, api, web        adapters: turn people's and programs' requests into commands
    sim                  the synthetic economy, which drives the platform through the app
    app                  use cases: one function per command, authorization, idempotency
    store, documents,    persistence (SQLAlchemy), trade documents and bank messages,
    risk                 credit risk and fraud
    domain               pure rules: money, ids, errors, the receivable life cycle
    trust                pure, reusable: Merkle log hashing and proofs, signed notes,
                         checkpoints, canonical encoding; depends on nothing in openscf
                         but `errors`
    errors               the one exception tree (every layer's errors derive from its
                         root) and its HTTP status table; imports nothing
"""

__version__ = "0.1.0"
