"""How the app words things it counts: "1 epoch", "30 epochs", never "epoch(s)"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, the noun plural unless ``n`` is 1 (``plural`` for nouns not made with an s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
