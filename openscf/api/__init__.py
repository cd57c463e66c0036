"""The REST API adapter under `/v1`.

May import: `openscf.app` and everything it may import.
"""
