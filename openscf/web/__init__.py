"""The web dashboard adapter, one view per role.

May import: `openscf.app` and everything it may import.
"""
