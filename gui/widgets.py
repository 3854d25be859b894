"""Small painted widgets: the live frame with its region box, the model input,
probability bars, the big top-class label, a message banner, image strips and
the confusion matrix.  They only paint what they are given.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

GOOD = QColor("#1a7f37")
BAD = QColor("#c62828")
ACCENT = QColor("#1565c0")
MUTED = QColor("#8a8f98")


def to_qimage(arr: np.ndarray, *, bgr: bool = False) -> QImage:
    """A uint8 (H, W, 3) array as a QImage that owns its pixels."""
    arr = np.ascontiguousarray(arr)
    if arr.ndim == 2:
        arr = np.ascontiguousarray(np.repeat(arr[:, :, None], 3, axis=2))
    h, w = arr.shape[:2]
    fmt = QImage.Format.Format_BGR888 if bgr else QImage.Format.Format_RGB888
    return QImage(arr.data, w, h, int(arr.strides[0]), fmt).copy()


def region_from_norm(norm: tuple[float, float, float], width: int, height: int):
    """(centre x, centre y as fractions of the frame, side as a fraction of the short side) -> pixels."""
    from core.images import Region

    cx, cy, side = norm
    s = max(1, int(round(side * min(width, height))))
    x = int(round(cx * width - s / 2))
    y = int(round(cy * height - s / 2))
    x = min(max(0, x), max(0, width - s))
    y = min(max(0, y), max(0, height - s))
    return Region(x, y, min(s, width), min(s, height))


def clamp_norm(norm, width: int, height: int) -> tuple[float, float, float]:
    cx, cy, side = norm
    side = float(min(1.0, max(0.1, side)))
    s = side * min(width, height)
    half_w, half_h = s / 2 / width, s / 2 / height
    cx = float(min(1 - half_w, max(half_w, cx)))
    cy = float(min(1 - half_h, max(half_h, cy)))
    return cx, cy, side


class FrameView(QWidget):
    """The live frame, scaled to fit, with a square region box the user can move and resize.

    Drag inside the box to move it, drag its corner handle (or use the mouse
    wheel) to resize it, double-click to centre it again.
    """

    region_changed = Signal(tuple)  # (cx, cy, side) normalised
    reset_requested = Signal()

    HANDLE = 22

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._size: tuple[int, int] | None = None  # (width, height) of the frame
        self._array: np.ndarray | None = None
        self._bgr = False
        self._scaled: QImage | None = None  # the frame resized to the widget (OpenCV, off the GIL)
        self._norm = (0.5, 0.5, 0.8)
        self._drag: str | None = None
        self._drag_origin = QPointF()
        self._drag_norm = self._norm
        self.placeholder = "No picture yet"
        self.box_color = ACCENT
        self.setMouseTracking(True)

    # -- data ---------------------------------------------------------------------
    def set_frame(self, image: np.ndarray | None, *, bgr: bool = False) -> None:
        # Only a header is kept here; pixels are converted once, at paint time, at the size shown.
        self._array, self._bgr = image, bgr
        self._scaled = None
        self._size = None if image is None else (int(image.shape[1]), int(image.shape[0]))
        self.update()

    def set_region(self, norm: tuple[float, float, float]) -> None:
        self._norm = tuple(norm)
        self.update()

    def has_frame(self) -> bool:
        return self._size is not None

    def frame_size(self) -> tuple[int, int]:
        return self._size or (0, 0)

    # -- geometry -------------------------------------------------------------------
    def _image_rect(self) -> QRectF:
        if self._size is None:
            return QRectF()
        iw, ih = self._size
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _box_rect(self) -> QRectF:
        if self._size is None:
            return QRectF()
        ir = self._image_rect()
        iw, ih = self._size
        r = region_from_norm(self._norm, iw, ih)
        s = ir.width() / iw
        return QRectF(ir.x() + r.x * s, ir.y() + r.y * s, r.w * s, r.h * s)

    # -- painting -------------------------------------------------------------------
    def paintEvent(self, event):  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1e1f22"))
        if self._size is None:
            p.setPen(QColor("#d0d3d8"))
            f = QFont(self.font())
            f.setPixelSize(22)
            p.setFont(f)
            p.drawText(self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.placeholder)
            return
        ir = self._image_rect()
        p.drawImage(ir.topLeft(), self._scaled_image(int(ir.width()), int(ir.height())))
        box = self._box_rect()
        # Dim what the model does not see.
        outside = QColor(0, 0, 0, 90)
        ir = self._image_rect()
        p.fillRect(QRectF(ir.left(), ir.top(), ir.width(), box.top() - ir.top()), outside)
        p.fillRect(QRectF(ir.left(), box.bottom(), ir.width(), ir.bottom() - box.bottom()), outside)
        p.fillRect(QRectF(ir.left(), box.top(), box.left() - ir.left(), box.height()), outside)
        p.fillRect(QRectF(box.right(), box.top(), ir.right() - box.right(), box.height()), outside)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(self.box_color, 3))
        p.drawRect(box)
        h = self.HANDLE
        p.fillRect(QRectF(box.right() - h / 2, box.bottom() - h / 2, h, h), self.box_color)

    def _scaled_image(self, w: int, h: int) -> QImage:
        """The frame at ``w`` x ``h``: OpenCV resizes with the GIL released, far cheaper than a smooth QPainter scale."""
        if self._scaled is None or (self._scaled.width(), self._scaled.height()) != (w, h):
            import cv2

            arr = self._array
            if arr.ndim == 2:
                arr = np.repeat(arr[:, :, None], 3, axis=2)
            interp = cv2.INTER_AREA if w < arr.shape[1] else cv2.INTER_LINEAR
            small = cv2.resize(np.ascontiguousarray(arr[:, :, :3]), (max(1, w), max(1, h)), interpolation=interp)
            self._scaled = to_qimage(small, bgr=self._bgr)
        return self._scaled

    def current_image(self) -> QImage | None:
        """The frame as shown, full size (for tests and screenshots)."""
        return None if self._array is None else to_qimage(self._array, bgr=self._bgr)

    # -- mouse ------------------------------------------------------------------------
    def _near_handle(self, pos: QPointF) -> bool:
        box = self._box_rect()
        return abs(pos.x() - box.right()) < self.HANDLE and abs(pos.y() - box.bottom()) < self.HANDLE

    def mousePressEvent(self, event):  # noqa: N802
        if self._size is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        self._drag_origin = pos
        self._drag_norm = self._norm
        if self._near_handle(pos):
            self._drag = "resize"
        elif self._box_rect().contains(pos):
            self._drag = "move"
        else:
            self._drag = "move"
            self._move_centre_to(pos)
            self._drag_origin, self._drag_norm = pos, self._norm

    def _move_centre_to(self, pos: QPointF) -> None:
        ir = self._image_rect()
        if ir.width() <= 0:
            return
        cx = (pos.x() - ir.x()) / ir.width()
        cy = (pos.y() - ir.y()) / ir.height()
        self._apply((cx, cy, self._norm[2]))

    def _apply(self, norm) -> None:
        iw, ih = self.frame_size()
        self._norm = clamp_norm(norm, iw, ih)
        self.update()
        self.region_changed.emit(self._norm)

    def mouseMoveEvent(self, event):  # noqa: N802
        pos = event.position()
        if self._drag is None:
            over = self._size is not None and self._near_handle(pos)
            self.setCursor(Qt.CursorShape.SizeFDiagCursor if over else Qt.CursorShape.ArrowCursor)
            return
        ir = self._image_rect()
        iw, ih = self.frame_size()
        dx = (pos.x() - self._drag_origin.x()) / ir.width()
        dy = (pos.y() - self._drag_origin.y()) / ir.height()
        cx, cy, side = self._drag_norm
        if self._drag == "move":
            self._apply((cx + dx, cy + dy, side))
        else:
            short = min(iw, ih) * ir.width() / iw  # the short side in widget pixels
            grow = max(pos.x() - self._drag_origin.x(), pos.y() - self._drag_origin.y())
            self._apply((cx, cy, side + grow * 2 / short))

    def mouseReleaseEvent(self, event):  # noqa: N802
        self._drag = None

    def mouseDoubleClickEvent(self, event):  # noqa: N802
        self.reset_requested.emit()

    def wheelEvent(self, event):  # noqa: N802
        if self._size is None:
            return
        step = 0.05 if event.angleDelta().y() > 0 else -0.05
        cx, cy, side = self._norm
        self._apply((cx, cy, side + step))


class ModelInputView(QWidget):
    """The model's input image (e.g. 64×64) enlarged with visible pixels."""

    def __init__(self, side: int = 192, parent=None):
        super().__init__(parent)
        self.setFixedSize(side, side)
        self._image: QImage | None = None

    def set_image(self, image: np.ndarray | None) -> None:
        self._image = None if image is None else to_qimage(image)
        self.update()

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2b2d31"))
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(QRectF(self.rect()), self._image)
        p.setPen(QPen(QColor("#555"), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))


class ProbabilityBars(QWidget):
    """One horizontal bar per class with its label and percentage; the top class highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.class_names: list[str] = []
        self.probabilities = np.zeros(0, np.float32)
        self.top = -1
        self.unsure = False
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
        self.update()

    def sizeHint(self):  # noqa: N802
        return QSize(360, 44 * max(1, len(self.class_names)))

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
        font.setPixelSize(int(max(14, min(30, row * 0.55))))
        p.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        label_w = max(48.0, self.width() * 0.14)
        pct_w = QFontMetricsF(bold).horizontalAdvance("100.0%") + 12
        bar_w = max(10.0, self.width() - label_w - pct_w - 12)
        for i, name in enumerate(self.class_names):
            y = i * row
            prob = float(self.probabilities[i]) if i < len(self.probabilities) else 0.0
            is_top = i == self.top
            p.setPen(QColor("#111") if is_top else QColor("#444"))
            font.setBold(is_top)
            p.setFont(font)
            p.drawText(QRectF(0, y, label_w - 8, row), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
            track = QRectF(label_w, y + row * 0.18, bar_w, row * 0.64)
            p.fillRect(track, QColor("#e8eaed"))
            color = (MUTED if self.unsure else ACCENT) if is_top else QColor("#90a4ae")
            p.fillRect(QRectF(track.x(), track.y(), bar_w * max(0.0, min(1.0, prob)), track.height()), color)
            p.setPen(QColor("#111"))
            p.drawText(QRectF(label_w + bar_w + 4, y, pct_w - 4, row),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{prob:.1%}")


class TopClassLabel(QWidget):
    """The top class in very large type, its confidence underneath; grey "?" when unsure."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.big = QLabel("–")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setObjectName("topClass")
        self.small = QLabel("waiting for a picture")
        self.small.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.small.setObjectName("topConfidence")
        f = QFont(self.font())
        f.setPixelSize(120)
        f.setBold(True)
        self.big.setFont(f)
        f2 = QFont(self.font())
        f2.setPixelSize(26)
        self.small.setFont(f2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.big)
        lay.addWidget(self.small)
        self.state = ""
        self._set_state("idle")

    def _set_state(self, state: str) -> None:
        # A style sheet change re-polishes the widget: only do it when the state changes, not per frame.
        if state != self.state:
            self.state = state
            self.big.setStyleSheet("color: #1565c0;" if state == "sure" else "color: #8a8f98;")

    def show_result(self, name: str, confidence: float, unsure: bool) -> None:
        if unsure:
            self._set_state("unsure")
            self.big.setText("?")
            self.small.setText(f"unsure · best guess {name} ({confidence:.0%})")
        else:
            self._set_state("sure")
            self.big.setText(name)
            self.small.setText(f"{confidence:.1%} confident")

    def show_idle(self, text: str) -> None:
        self._set_state("idle")
        self.big.setText("–")
        self.small.setText(text)


class MessageBanner(QFrame):
    """A coloured one-line message with an optional action button (e.g. Retry)."""

    action_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Retry")
        self.button.clicked.connect(self.action_clicked)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(36)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        lay.addWidget(close)
        self.hide()

    def show_message(self, text: str, *, kind: str = "error", action: str | None = None) -> None:
        colors = {"error": ("#fdecea", "#8e1c1c"), "info": ("#e8f0fe", "#174ea6"), "ok": ("#e6f4ea", "#0d652d")}
        bg, fg = colors.get(kind, colors["info"])
        self.setStyleSheet(f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 6px; }}"
                           f" QFrame#banner QLabel {{ color: {fg}; }}")
        self.label.setText(text)
        self.button.setVisible(action is not None)
        if action:
            self.button.setText(action)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class ImageStrip(QWidget):
    """A wrapping grid of small images, each with a caption coloured right (green) or wrong (red)."""

    def __init__(self, cell: int = 72, parent=None):
        super().__init__(parent)
        self.cell = cell
        self.items: list[tuple[QImage, str, QColor | None]] = []
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_items(self, images, captions, colors=None) -> None:
        colors = colors or [None] * len(captions)
        self.items = [(to_qimage(im), c, col) for im, c, col in zip(images, captions, colors, strict=True)]
        self.updateGeometry()
        self.update()

    def set_captions(self, captions, colors) -> None:
        self.items = [(im, c, col) for (im, _, _), c, col in zip(self.items, captions, colors, strict=True)]
        self.update()

    def _cols(self) -> int:
        return max(1, (self.width() - 4) // (self.cell + 8))

    def hasHeightForWidth(self):  # noqa: N802
        return True

    def heightForWidth(self, width):  # noqa: N802
        cols = max(1, (width - 4) // (self.cell + 8))
        rows = max(1, -(-len(self.items) // cols))
        return rows * (self.cell + 30) + 4

    def sizeHint(self):  # noqa: N802
        return QSize(8 * (self.cell + 8), self.heightForWidth(8 * (self.cell + 8)))

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        if not self.items:
            if self.empty_text:
                p.setPen(MUTED)
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        cols = self._cols()
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setBold(True)
        p.setFont(font)
        for i, (img, caption, color) in enumerate(self.items):
            r, c = divmod(i, cols)
            x, y = 4 + c * (self.cell + 8), 4 + r * (self.cell + 30)
            target = QRectF(x, y, self.cell, self.cell)
            p.drawImage(target, img)
            if color is not None:
                p.setPen(QPen(color, 3))
                p.drawRect(target.adjusted(1, 1, -1, -1))
            p.setPen(color or QColor("#222"))
            p.drawText(QRectF(x - 4, y + self.cell, self.cell + 8, 26), Qt.AlignmentFlag.AlignCenter, caption)


class ConfusionMatrixView(QWidget):
    """Rows: true class, columns: predicted class; counts, shaded by row share."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), np.int64)
        self.names: list[str] = []
        self.setMinimumSize(220, 220)

    def set_matrix(self, matrix, names) -> None:
        self.matrix = np.asarray(matrix, np.int64)
        self.names = list(names)
        self.update()

    def sizeHint(self):  # noqa: N802
        return QSize(340, 340)

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        n = len(self.names)
        if n == 0:
            p.setPen(MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "confusion matrix appears after training")
            return
        margin = 44
        side = min(self.width(), self.height()) - margin - 8
        cell = side / n
        font = QFont(self.font())
        font.setPixelSize(int(max(10, min(20, cell * 0.4))))
        p.setFont(font)
        p.setPen(QColor("#333"))
        p.drawText(QRectF(margin, 0, side, 20), Qt.AlignmentFlag.AlignCenter, "predicted →")
        p.save()
        p.translate(12, margin + side / 2)
        p.rotate(-90)
        p.drawText(QRectF(-side / 2, -10, side, 20), Qt.AlignmentFlag.AlignCenter, "true →")
        p.restore()
        rows = self.matrix.sum(axis=1, keepdims=True).clip(min=1)
        share = self.matrix / rows
        for i in range(n):
            p.setPen(QColor("#333"))
            p.drawText(QRectF(margin + i * cell, 20, cell, margin - 22), Qt.AlignmentFlag.AlignCenter, self.names[i])
            p.drawText(QRectF(22, margin + i * cell, margin - 24, cell), Qt.AlignmentFlag.AlignCenter, self.names[i])
            for j in range(n):
                v = float(share[i, j])
                base = QColor("#1a7f37") if i == j else QColor("#c62828")
                fill = QColor(base)
                fill.setAlphaF(0.08 + 0.85 * v if self.matrix[i, j] else 0.03)
                r = QRectF(margin + j * cell, margin + i * cell, cell - 2, cell - 2)
                p.fillRect(r, fill)
                p.setPen(QColor("white") if v > 0.55 else QColor("#222"))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[i, j])))


def big_font(widget: QWidget, pixels: int, bold: bool = False) -> QFont:
    f = QFont(widget.font())
    f.setPixelSize(pixels)
    f.setBold(bold)
    return f
