"""Image views: the live frame with the region box (moved by the user, or following the hand), and the
model's input enlarged."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.inference.region import CENTRE, clamp_norm, region_from_norm
from gui.widgets.painting import ACCENT, HAND, to_qimage


class FrameView(QWidget):
    """The live frame, scaled to fit, with a square region box the user can move and resize.

    Drag inside the box to move it, drag its corner handle (or use the mouse
    wheel) to resize it, double-click to centre it again.  While it follows the
    hand (:meth:`set_follow_hand`) the box is the found hand's square, with its
    landmarks as dots, and the mouse does not move it; with no hand there is no
    box and a "no hand" tag.
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
        self.follow_hand = False
        self.show_landmarks = True
        self.hand_state = "waiting"  # while following: "waiting" (no answer yet), "found" or "none"
        self._hand_region = None  # core.images.Region in frame pixels
        self._landmarks: np.ndarray | None = None  # (21, 2+) frame pixels
        self._heat: QImage | None = None  # the class-activation map over the box (gui.widgets.heatmap)
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

    def set_follow_hand(self, follow: bool) -> None:
        """Draw the found hand's square instead of the user's box (and let the mouse leave it alone)."""
        self.follow_hand = bool(follow)
        self.set_hand(None)
        self.hand_state = "waiting"

    def set_hand(self, region, landmarks: np.ndarray | None = None) -> None:
        """The hand's pixel square and landmarks in the frame; ``region`` None: no hand in view."""
        self._hand_region = region
        self._landmarks = None if landmarks is None else np.asarray(landmarks, np.float32)
        self.hand_state = "none" if region is None else "found"
        self.update()

    def set_heatmap(self, heatmap: np.ndarray | None) -> None:
        """A map (float32 in [0, 1]) to blend over the box the model sees; None: none."""
        from gui.widgets.heatmap import heatmap_image

        self._heat = None if heatmap is None else heatmap_image(heatmap)
        self.update()

    def hand_region(self):
        """The hand square drawn now (frame pixels), or None."""
        return self._hand_region if self.follow_hand else None

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
        r = self.hand_region() if self.follow_hand else region_from_norm(self._norm, iw, ih)
        if r is None:
            return QRectF()
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
        if box.isNull():
            if self.follow_hand and self.hand_state == "none":
                self._paint_tag(p, ir, "no hand")
            return
        # Dim what the model does not see.
        outside = QColor(0, 0, 0, 90)
        p.fillRect(QRectF(ir.left(), ir.top(), ir.width(), box.top() - ir.top()), outside)
        p.fillRect(QRectF(ir.left(), box.bottom(), ir.width(), ir.bottom() - box.bottom()), outside)
        p.fillRect(QRectF(ir.left(), box.top(), box.left() - ir.left(), box.height()), outside)
        p.fillRect(QRectF(box.right(), box.top(), ir.right() - box.right(), box.height()), outside)
        if self._heat is not None:
            from gui.widgets.heatmap import paint_heatmap

            paint_heatmap(p, box, self._heat)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.follow_hand:
            self._paint_hand(p, ir, box)
            return
        p.setPen(QPen(self.box_color, 3))
        p.drawRect(box)
        h = self.HANDLE
        p.fillRect(QRectF(box.right() - h / 2, box.bottom() - h / 2, h, h), self.box_color)

    def _paint_hand(self, p: QPainter, ir: QRectF, box: QRectF) -> None:
        """The hand's square (no handle: the finder places it) and its landmarks as small dots."""
        p.setPen(QPen(HAND, 3))
        p.drawRect(box)
        if self.show_landmarks and self._landmarks is not None:
            s = ir.width() / self._size[0]
            p.setPen(QPen(QColor("#ffffff"), 1.5))
            p.setBrush(HAND)
            # Python floats: PySide6 mis-counts references of numpy scalars passed to Qt (a crash:
            # "none_dealloc: deallocating None", seen with a camera and a training running).
            for x, y in self._landmarks[:, :2].tolist():
                p.drawEllipse(QPointF(ir.x() + x * s, ir.y() + y * s), 3.5, 3.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
        self._paint_tag(p, ir, "hand", box.topLeft())

    def _paint_tag(self, p: QPainter, ir: QRectF, text: str, at: QPointF | None = None) -> None:
        """A small label on the frame: "hand" on the square's corner, "no hand" in the top-left corner."""
        f = QFont(self.font())
        f.setPixelSize(18)
        f.setBold(True)
        p.setFont(f)
        w, h = p.fontMetrics().horizontalAdvance(text) + 16, 28
        x, y = (ir.x() + 8, ir.y() + 8) if at is None else (at.x(), max(ir.y(), at.y() - h))
        p.fillRect(QRectF(x, y, w, h), HAND if at is not None else QColor(0, 0, 0, 170))
        p.setPen(QColor("#ffffff"))
        p.drawText(QRectF(x, y, w, h), Qt.AlignmentFlag.AlignCenter, text)

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
        if self._size is None or self.follow_hand or event.button() != Qt.MouseButton.LeftButton:
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
            over = self._size is not None and not self.follow_hand and self._near_handle(pos)
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
        if not self.follow_hand:
            self.reset_requested.emit()

    def wheelEvent(self, event):  # noqa: N802
        if self._size is None or self.follow_hand:
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
        self._heat: QImage | None = None

    def set_image(self, image: np.ndarray | None) -> None:
        self._image = None if image is None else to_qimage(image)
        if image is None:
            self._heat = None
        self.update()

    def set_heatmap(self, heatmap: np.ndarray | None) -> None:
        """A map (float32 in [0, 1]) blended over the input; None: none."""
        from gui.widgets.heatmap import heatmap_image

        self._heat = None if heatmap is None else heatmap_image(heatmap)
        self.update()

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2b2d31"))
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(QRectF(self.rect()), self._image)
            if self._heat is not None:
                from gui.widgets.heatmap import paint_heatmap

                paint_heatmap(p, QRectF(self.rect()), self._heat)
        p.setPen(QPen(QColor("#555"), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
