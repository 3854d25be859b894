"""Shared painting helpers: the app's colours, numpy images as QImage, large fonts."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QFont, QImage
from PySide6.QtWidgets import QWidget

GOOD = QColor("#1a7f37")
BAD = QColor("#c62828")
ACCENT = QColor("#1565c0")
MUTED = QColor("#8a8f98")
HAND = QColor("#2e9d4f")  # the found hand's square and landmarks


def to_qimage(arr: np.ndarray, *, bgr: bool = False) -> QImage:
    """A uint8 (H, W, 3) array as a QImage that owns its pixels."""
    arr = np.ascontiguousarray(arr)
    if arr.ndim == 2:
        arr = np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    h, w = arr.shape[:2]
    fmt = QImage.Format.Format_BGR888 if bgr else QImage.Format.Format_RGB888
    return QImage(arr.data, w, h, int(arr.strides[0]), fmt).copy()


def big_font(widget: QWidget, pixels: int, bold: bool = False) -> QFont:
    """``widget``'s font at ``pixels`` pixels (projector-sized type), optionally bold."""
    f = QFont(widget.font())
    f.setPixelSize(pixels)
    f.setBold(bold)
    return f
