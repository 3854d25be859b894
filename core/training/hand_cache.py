"""The hand finder's answer for each training image, kept on disk: a dataset is searched for hands once.

Training crops every photo to the square around its hand (``TrainSettings.find_hand``,
``core.hands.framing``).  The finder runs a palm detector and a landmark model on
each photo: on SIGNS's 1,200 photos that took 35-40 s of a 2-core CPU, paid again
by every ``handsign train`` and every Train-tab run (docs/model.md, "Quick preset").
:class:`CachedFraming` answers from a JSON file under ``<cache>/hands/`` instead,
and asks the finder only about photos it has not seen.

Keyed by each image's pixels (so a renamed or copied file is still known, and an
edited one is not), in a file named for the finder's version: its models'
SHA-256 and its code, so a changed finder starts a new file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from core.hands.version import finder_version
from core.images import Region

log = logging.getLogger(__name__)


def image_key(image: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16,
                           person=str(image.shape).encode()[:16]).hexdigest()


class CachedFraming:
    """Callable ``image -> Region | None`` like ``HandFraming``, answering known images from disk.

    Call :meth:`save` after loading to keep what was learnt; an unwritable cache folder
    costs the next run the search again, nothing else.
    """

    def __init__(self, framing=None, folder: str | Path | None = None):
        if folder is None:
            from core.paths import cache_dir

            folder = cache_dir() / "hands"
        self.path = Path(folder) / f"{finder_version()}.json"
        self._framing = framing
        self._known: dict[str, list[int] | None] = self._read()
        self._seen: set[str] = set()
        self._added = 0
        self.found = self.missed = self.reused = 0

    def _read(self) -> dict[str, list[int] | None]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):  # none yet, or damaged: search again
            return {}

    def __call__(self, image: np.ndarray) -> Region | None:
        key = image_key(image)
        if key in self._known:
            value = self._known[key]
            if key not in self._seen:
                self.reused += 1
        else:
            if self._framing is None:
                from core.hands.framing import HandFraming

                self._framing = HandFraming()
            region = self._framing(image)
            value = None if region is None else [int(region.x), int(region.y), int(region.w), int(region.h)]
            self._known[key] = value
            self._added += 1
        if key not in self._seen:  # count each distinct image once, as HandFraming does
            self._seen.add(key)
            if value is None:
                self.missed += 1
            else:
                self.found += 1
        return None if value is None else Region(*value)

    def save(self) -> None:
        """Write the answers if any are new."""
        if not self._added:
            return
        from core.model.files import atomic_write_json

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, self._known)
            self._added = 0
        except OSError as exc:
            log.warning("could not keep the hand regions in %s: %s", self.path, exc)

    def summary(self) -> str:
        total = self.found + self.missed
        text = f"hand found in {self.found} of {total} images"
        if self.missed:
            text += f" ({self.missed} kept their centre square)"
        return text + f"; {self.reused} answered from the cache {self.path.name}"
