"""The command-line adapter: `openscf ...` (Typer). Progress bars on long work, `--json`
output for scripts. Every error is one line with its code and what to do (openscf.cli.common):
exit 2 for a mistake or refusal, 1 when a check found something bad, never a traceback.

May import: `openscf.app`, `openscf.sim` and everything they may import, except SQL: no
SQLAlchemy and no store module that exposes tables or queries (the app layer's read model
and services answer instead; an import-linter contract holds this).
"""

from openscf.cli.main import app, main

__all__ = ["app", "main"]
