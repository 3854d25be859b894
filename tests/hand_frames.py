"""Test frames with a real hand in a cluttered room: a Sign Language Digits photo pasted onto synthetic clutter.

Shared by the hand-finding tests in ``tests/core/hands`` and the GUI tests that
need a hand to find (or a frame with none).  ``room`` and ``paste`` live in
``tools.videos``, which the screenshots use too.
"""

from __future__ import annotations

from tools.videos import paste, room

__all__ = ["paste", "room", "sld_photo"]


def sld_photo(sld_dir, digit: int = 2, index: int = 0):
    """One Sign Language Digits photo (100 x 100 RGB) of ``digit``."""
    from core.images import read_image

    return read_image(sorted((sld_dir / str(digit)).glob("*.JPG"))[index])
