"""The hand's square as a dataset framing: training and evaluation see hands framed as the app does.

``load_dataset(..., framing=HandFraming())`` crops every full-size image to
the square :class:`~core.hands.finder.HandFinder` puts around its hand (the
same rule as the live view and ``handsign predict``).  An image where no hand
is found keeps the centre square, so no training sample is lost; the counts
say how many that was.
"""

from __future__ import annotations

import hashlib

import numpy as np

from core.hands.finder import HandFinder
from core.images import Region


class HandFraming:
    """Callable ``image -> Region | None`` (None: no hand, use the centre square); counts what it saw."""

    def __init__(self, finder: HandFinder | None = None):
        self._finder = finder
        self._seen: dict[bytes, Region | None] = {}  # the same pixels are looked at once (a dataset read twice)
        self.found = 0
        self.missed = 0

    def __call__(self, image: np.ndarray) -> Region | None:
        key = hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16,
                              person=str(image.shape).encode()[:16]).digest()
        if key in self._seen:
            return self._seen[key]
        if self._finder is None:
            self._finder = HandFinder()
        hand = self._finder.find_in_image(image)
        region = None if hand is None else hand.region
        self._seen[key] = region
        if region is None:
            self.missed += 1
        else:
            self.found += 1
        return region

    def summary(self) -> str:
        total = self.found + self.missed
        return f"hand found in {self.found} of {total} images" + (
            f" ({self.missed} kept their centre square)" if self.missed else "")
