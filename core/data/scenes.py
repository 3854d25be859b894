"""Real photographs behind the hand: a bank of scene photos to composite training hands onto.

A classroom webcam shows faces, shirts, windows, posters and furniture behind
the hand; SIGNS shows a wall.  :class:`SceneBank` holds photographs of rooms,
textures and people without hands (``tools/backgrounds.py`` builds the folder;
``docs/backgrounds.md`` lists the sources and licences) and cuts random
patches from them, at random scales, for ``core.data.augment`` to put behind
the segmented hand.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import numpy as np

from core.images import is_image_name, read_image

log = logging.getLogger(__name__)

SHORT_SIDE = 256  # photos are kept this small: a patch is at most a 64 x 64 model input
EVAL_SHARE = 5  # one photo in five (by a stable hash of its name) is kept back to evaluate on


def is_eval_photo(name: str) -> bool:
    return zlib.crc32(name.encode()) % EVAL_SHARE == 0


class SceneBank:
    """Photos loaded once (short side ``SHORT_SIDE``); :meth:`patch` cuts a random square from one."""

    def __init__(self, photos: list[np.ndarray], names: list[str] | None = None):
        if not photos:
            raise ValueError("a scene bank needs at least one photo")
        self.photos = photos
        self.names = names or [str(i) for i in range(len(photos))]

    def __len__(self) -> int:
        return len(self.photos)

    @classmethod
    def from_folder(cls, folder: str | Path, limit: int | None = None, part: str = "train") -> SceneBank | None:
        """The readable photos under ``folder`` (recursively); None when there is none.

        ``part``: "train" (all but the kept-back fifth), "eval" (only that fifth) or "all".
        """
        import cv2

        folder = Path(folder).expanduser()
        if not folder.is_dir():
            log.warning("scene photos: %s is not a folder; using synthetic backgrounds", folder)
            return None
        files = sorted(p for p in folder.rglob("*") if p.is_file() and is_image_name(p))
        if part != "all":
            files = [p for p in files if is_eval_photo(str(p.relative_to(folder))) == (part == "eval")]
        files = files[:limit]
        photos, names = [], []
        for path in files:
            try:
                img = read_image(path)
            except Exception as exc:  # noqa: BLE001 - a bad photo is skipped, the rest still serve
                log.warning("scene photo skipped: %s", exc)
                continue
            s = SHORT_SIDE / min(img.shape[:2])
            if s < 1:
                img = cv2.resize(img, (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s))),
                                 interpolation=cv2.INTER_AREA)
            photos.append(img)
            names.append(str(path.relative_to(folder)))
        if not photos:
            log.warning("scene photos: no readable images in %s; using synthetic backgrounds", folder)
            return None
        return cls(photos, names)

    def patch(self, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        """A random square of a random photo (a tenth to all of its short side), mirrored at random, float32."""
        import cv2

        photo = self.photos[int(rng.integers(len(self.photos)))]
        ph, pw = photo.shape[:2]
        side = max(8, int(min(ph, pw) * rng.uniform(0.1, 1.0)))
        y, x = int(rng.integers(0, ph - side + 1)), int(rng.integers(0, pw - side + 1))
        crop = photo[y:y + side, x:x + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        interp = cv2.INTER_AREA if side > max(h, w) else cv2.INTER_LINEAR
        return cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=interp).astype(np.float32)
