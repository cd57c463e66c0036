"""The command-line adapter: `openscf ...` (Typer). Progress bars on long work, `--json`
output for scripts, exit code 1 with the error's code and message on refusal.

May import: `openscf.app`, `openscf.sim` and everything they may import.
"""

from openscf.cli.main import app, main

__all__ = ["app", "main"]
