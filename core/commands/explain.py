"""``handsign explain``: not written yet."""

from __future__ import annotations

from core.errors import HandSignError

NAME = "explain"


def add_parser(sub) -> None:
    sub.add_parser(NAME, help="(not available yet)")


def run(args) -> int:
    raise HandSignError("explain is not available yet")
