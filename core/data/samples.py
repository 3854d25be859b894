"""The user's own samples: image crops saved per class in a class-folder tree.

The Collect tab's bursts and the Classify tab's "this is wrong, save as N"
write here (``<user dir>/collected/<class>/``); ``handsign train --data`` and
the Train tab's fine-tuning read the same tree as a dataset.  Snapshots of the
whole frame are written with the same helper.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from core.data.splits import natural_key
from core.images import Region, is_image_name

log = logging.getLogger(__name__)

SAMPLE_SIDE = 256  # samples are shrunk to at most this: the model sees 64x64, a little more keeps them useful


def list_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, in natural order (``img2`` before ``img10``); [] if it is not a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and is_image_name(p)), key=lambda p: natural_key(p.name))


def write_rgb(path: Path, rgb: np.ndarray) -> bool:
    """Write an RGB image (format from the suffix), creating its folder; False if it could not be written."""
    import cv2

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return bool(cv2.imwrite(str(path), np.ascontiguousarray(rgb[:, :, ::-1])))


def save_sample(rgb: np.ndarray, region: Region, folder: Path, max_side: int = SAMPLE_SIDE) -> Path | None:
    """Crop ``region`` from an RGB image, shrink it to at most ``max_side`` and save it as a new JPEG in ``folder``.

    Returns the new file's path, or None when it could not be written.
    """
    import cv2

    crop = rgb[region.y : region.y + region.h, region.x : region.x + region.w]
    if max(crop.shape[:2]) > max_side:
        crop = cv2.resize(crop, (max_side, max_side), interpolation=cv2.INTER_AREA)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while (folder / f"{stamp}-{n:03d}.jpg").exists():  # several samples a second: number them
        n += 1
    path = folder / f"{stamp}-{n:03d}.jpg"
    return path if write_rgb(path, crop) else None


def count_samples(root: Path, classes) -> dict[str, int]:
    """How many sample images each class folder under ``root`` holds (0 for a missing folder)."""
    return {c: len(list_images(Path(root) / c)) for c in classes}


def extra_classes(root: Path, known) -> list[str]:
    """Class folders under ``root`` that are not in ``known`` (samples of classes the model lacks), sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in set(known))


def delete_samples(paths, folder: Path) -> list[str]:
    """Delete sample files, then ``folder`` if that left it empty; returns one message per file that stayed.

    An empty class folder would stop a training ("class folder is empty"), so it goes too.
    """
    problems = []
    for p in paths:
        try:
            Path(p).unlink()
        except OSError as exc:
            problems.append(f"could not delete {p}: {exc.strerror or exc}")
    folder = Path(folder)
    try:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except OSError as exc:
        log.warning("could not remove the empty folder %s: %s", folder, exc)
    return problems
