"""What the model says, drawn large: one probability bar per class and the top class in big type.

"No hand" is an answer too: the label says so and the bars grey out (disabled, values cleared).
Both follow the window's text scale (``set_text_scale``, see :mod:`gui.presenter`); in presenter
mode the top class is sized to the screen (``set_screen_height``): its ink at least 1/8 of the screen high.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.widgets.painting import ACCENT, MUTED

DIGIT_SHARE = 8  # in presenter mode the top class's ink is at least 1/DIGIT_SHARE of the screen high


def pixel_size_for_ink(font: QFont, ink_px: float, text: str = "0123456789") -> int:
    """The smallest pixel size at which every character of ``text`` in ``font`` is at least ``ink_px`` tall (ink)."""
    f = QFont(font)

    def shortest(px: int) -> float:
        f.setPixelSize(px)
        fm = QFontMetricsF(f)
        return min(fm.tightBoundingRect(ch).height() for ch in text)

    px = max(1, math.ceil(ink_px * 100 / max(1.0, shortest(100))))
    while shortest(px) < ink_px:
        px += 1
    return px


class ProbabilityBars(QWidget):
    """One horizontal bar per class with its label and percentage; the top class highlighted.

    A click on a bar is announced (``class_clicked``); the class the heatmap is shown for, when it is
    not the top class, gets an outline (:meth:`set_chosen`)."""

    class_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.chosen = -1  # the class the heatmap shows, outlined; -1: the top class (no outline)
        self.class_names: list[str] = []
        self.probabilities = np.zeros(0, np.float32)
        self.top = -1
        self.unsure = False
        self.scale = 1.0  # the window's text scale: the bars' type grows with it
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_classes(self, names: list[str]) -> None:
        self.class_names = list(names)
        self.probabilities = np.zeros(len(names), np.float32)
        self.top = -1
        self.update()

    def set_probabilities(self, probs, top: int, unsure: bool) -> None:
        self.probabilities = np.asarray(probs, np.float32)
        self.top, self.unsure = int(top), bool(unsure)
        if not self.isEnabled():
            self.setEnabled(True)
        self.update()

    def show_no_hand(self) -> None:
        """Grey out: no class gets a value while there is no hand to classify."""
        self.probabilities = np.zeros(len(self.class_names), np.float32)
        self.top, self.unsure = -1, False
        self.setEnabled(False)  # repaints, in grey

    def set_text_scale(self, scale: float) -> None:
        self.scale = float(scale)
        self.updateGeometry()
        self.update()

    def set_chosen(self, index: int) -> None:
        self.chosen = int(index)
        self.update()

    def mousePressEvent(self, event):  # noqa: N802
        n = len(self.class_names)
        if n and event.button() == Qt.MouseButton.LeftButton:
            row = int(event.position().y() // (self.height() / n))
            if 0 <= row < n:
                self.class_clicked.emit(row)

    def sizeHint(self):  # noqa: N802
        return QSize(360, round(44 * self.scale) * max(1, len(self.class_names)))

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        n = len(self.class_names)
        if n == 0:
            p.setPen(MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no model loaded")
            return
        row = self.height() / n
        font = QFont(self.font())
        font.setPixelSize(int(max(14 * min(1.0, self.scale), min(30 * self.scale, row * 0.55))))
        p.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        off = not self.isEnabled()
        label_w = max(48.0, self.width() * 0.14)
        pct_w = QFontMetricsF(bold).horizontalAdvance("100.0%") + 12
        bar_w = max(10.0, self.width() - label_w - pct_w - 12)
        for i, name in enumerate(self.class_names):
            y = i * row
            prob = float(self.probabilities[i]) if i < len(self.probabilities) else 0.0
            is_top = i == self.top
            p.setPen(MUTED if off else QColor("#111") if is_top else QColor("#444"))
            font.setBold(is_top)
            p.setFont(font)
            p.drawText(QRectF(0, y, label_w - 8, row), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
            track = QRectF(label_w, y + row * 0.18, bar_w, row * 0.64)
            p.fillRect(track, QColor("#f1f2f4") if off else QColor("#e8eaed"))
            color = (MUTED if self.unsure else ACCENT) if is_top else QColor("#90a4ae")
            p.fillRect(QRectF(track.x(), track.y(), bar_w * max(0.0, min(1.0, prob)), track.height()), color)
            if i == self.chosen:
                p.setPen(QPen(QColor("#e65100"), 3))
                p.drawRect(track.adjusted(-3, -3, 3, 3))
            p.setPen(MUTED if off else QColor("#111"))
            p.drawText(QRectF(label_w + bar_w + 4, y, pct_w - 4, row),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, "–" if off else f"{prob:.1%}")


class TopClassLabel(QWidget):
    """The top class in very large type, its confidence underneath; grey "?" when unsure, grey "no hand"."""

    BIG, NO_HAND = 120, 72  # pixel sizes at text scale 1: a digit, and the words "no hand" (which must fit the panel)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.big = QLabel("–")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setObjectName("topClass")
        self.big.setProperty("textScaleOwn", True)  # sized here (style sheet), not by the window's font walk
        self.small = QLabel("waiting for a picture")
        self.small.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.small.setObjectName("topConfidence")
        f = QFont(self.font())
        f.setPixelSize(self.BIG)
        f.setBold(True)
        self.big.setFont(f)
        f2 = QFont(self.font())
        f2.setPixelSize(26)
        self.small.setFont(f2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.big)
        lay.addWidget(self.small)
        self.scale = 1.0
        self.screen_height: int | None = None  # set in presenter mode
        self.digit_px = self.BIG
        self.state = ""
        self._resize_type()
        self._set_state("idle")

    def set_text_scale(self, scale: float) -> None:
        self.scale = float(scale)
        self._resize_type()

    def set_screen_height(self, pixels: int | None) -> None:
        """Presenter mode: the class's ink at least ``pixels / DIGIT_SHARE`` high; None: back to the text scale."""
        self.screen_height = pixels
        self._resize_type()

    def _resize_type(self) -> None:
        px = round(self.BIG * self.scale)
        if self.screen_height:
            px = max(px, pixel_size_for_ink(self.big.font(), self.screen_height / DIGIT_SHARE))
        self.digit_px = px
        f = QFont(self.big.font())
        f.setPixelSize(px)
        self.big.setMinimumHeight(math.ceil(QFontMetricsF(f).height()))  # "no hand" in smaller type keeps the layout still
        state, self.state = self.state, ""
        self._set_state(state or "idle")  # re-style at the new size

    def _set_state(self, state: str) -> None:
        # A style sheet change re-polishes the widget: only do it when the state changes, not per frame.
        if state != self.state:
            self.state = state
            size = round(self.NO_HAND * self.scale) if state == "nohand" else self.digit_px
            self.big.setStyleSheet(f"color: {'#1565c0' if state == 'sure' else '#8a8f98'}; font-size: {size}px;")

    def show_result(self, name: str, confidence: float, unsure: bool) -> None:
        if unsure:
            self._set_state("unsure")
            self.big.setText("?")
            self.small.setText(f"unsure · best guess {name} ({confidence:.0%})")
        else:
            self._set_state("sure")
            self.big.setText(name)
            self.small.setText(f"{confidence:.1%} confident")

    def show_no_hand(self, text: str) -> None:
        self._set_state("nohand")
        self.big.setText("no hand")
        self.small.setText(text)

    def show_idle(self, text: str) -> None:
        self._set_state("idle")
        self.big.setText("–")
        self.small.setText(text)
