"""Misclassified images: which ones a model got wrong, and a contact sheet of them.

:func:`misclassified` is shared by the training outcome (the Train tab's
gallery) and ``handsign evaluate``; :func:`save_error_gallery` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NO_HAND = "no hand"  # the "predicted" name of an image in which hand finding saw no hand


@dataclass
class Mistakes:
    """The misclassified images of a split, in split order."""

    indices: np.ndarray  # positions in the split
    images: np.ndarray  # uint8 (n, H, W, 3)
    true: list[str]  # true class names
    predicted: list[str]  # predicted class names


def misclassified(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray | None,
                  class_names: list[str]) -> Mistakes:
    """The images whose predicted class (``predictions``, class indices) differs from ``labels``.

    A prediction of -1 (hand finding saw no hand) is a mistake named :data:`NO_HAND`.

    ``predictions`` None (nothing was scored): no mistakes, an empty image array of the split's shape.
    """
    if predictions is None:
        wrong = np.zeros(0, np.int64)
    else:
        wrong = np.flatnonzero(np.asarray(predictions) != np.asarray(labels))
    return Mistakes(wrong, images[wrong], [class_names[int(labels[i])] for i in wrong],
                    [class_names[int(predictions[i])] if predictions[i] >= 0 else NO_HAND for i in wrong])


def save_error_gallery(images: np.ndarray, true: list[str], predicted: list[str], path: str | Path, *, cols: int = 8, cell: int = 128) -> Path:
    """A PNG grid of ``images``, each labelled with its true and predicted class; returns ``path``."""
    from PIL import Image, ImageDraw, ImageFont

    path = Path(path)
    n = len(images)
    rows = max(1, math.ceil(n / cols))
    label_h = 34
    sheet = Image.new("RGB", (cols * cell, rows * (cell + label_h) if n else 60), "white")
    d = ImageDraw.Draw(sheet)
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:
        font = ImageFont.load_default()
    if n == 0:
        d.text((10, 20), "no misclassified images", fill="black", font=font)
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * cell, r * (cell + label_h)
        sheet.paste(Image.fromarray(images[i]).resize((cell, cell), Image.NEAREST), (x0, y0))
        d.text((x0 + 4, y0 + cell + 2), f"true {true[i]}", fill="#1a6b1a", font=font)
        d.text((x0 + 4, y0 + cell + 17), f"pred {predicted[i]}", fill="#b01515", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path
