"""A contact sheet of misclassified images with their true and predicted labels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def save_error_gallery(images: np.ndarray, true: list[str], predicted: list[str], path: str | Path, *, cols: int = 8, cell: int = 128) -> Path:
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
