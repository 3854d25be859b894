"""Subcommands of ``handsign`` that live in their own module.

Each module offers ``NAME``, ``add_parser(sub)`` (adds its argparse subparser to
``sub``) and ``run(args) -> int``.  :mod:`core.cli` registers every module in
:data:`MODULES`, so a new command never edits the shared parser code.
"""

from __future__ import annotations

MODULES = ("core.commands.explain", "core.commands.compare")
