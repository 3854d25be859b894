"""Image views: the live frame with the region box the user moves, and the model's input enlarged."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.inference.region import CENTRE, clamp_norm, region_from_norm
from gui.widgets.painting import ACCENT, to_qimage


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
        self._norm = CENTRE
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
