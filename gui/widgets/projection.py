"""The feature projection on the Train tab: validation images as points where the network puts them.

:class:`ProjectionView` draws the 2-D points that the training run sends after
every epoch (``EpochMetrics.projection``, made by
``core.training.projection_probe``), one colour per class with a legend.  A
new epoch's points glide from the previous epoch's positions over half a
second (a :class:`QVariantAnimation` on the UI thread: it only draws).
Hovering a point shows its image and true class in a small card beside it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEasingCurve, QEvent, QPoint, QPointF, QRect, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.painting import MUTED, big_font, to_qimage

# Matplotlib's "tab10": distinct, and readable on white from the back of a room.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")
ANIMATION_MS = 500
POINT_SIZE = 12
HOVER_RADIUS_PX = 9  # a point under the mouse: within this many pixels of its centre
CARD_IMAGE = 128  # the hovered image, drawn at twice the thumbnails' 64 px
TITLE = "As the network sees them"
CAPTION = "validation images · PCA of the 2,048 pooled features"


def class_colour(c: int) -> QColor:
    return QColor(CLASS_COLOURS[c % len(CLASS_COLOURS)]) if c < len(CLASS_COLOURS) else pg.intColor(c, hues=c + 1)


def legend_html(class_names) -> str:
    """Each class name after a dot in its colour, one a line."""
    return "<br>".join(f"<span style='color:{class_colour(i).name()}'>●</span>&nbsp;{name}"
                       for i, name in enumerate(class_names))


class HoverCard(QFrame):
    """A hovered point's image and caption, floating over the plot."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.Box)
        # The mouse goes through to the plot, so a point under the card can still be hovered.
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("HoverCard { background: white; border: 2px solid #555; border-radius: 4px; }")
        self.image = QLabel()
        self.image.setFixedSize(CARD_IMAGE, CARD_IMAGE)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setFont(big_font(self, 15, bold=True))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        lay.addWidget(self.image)
        lay.addWidget(self.caption)
        self.hide()

    def set_image_size(self, side: int) -> None:
        self.image.setFixedSize(side, side)

    def show_item(self, image: QImage, caption: str, colour: QColor, at: QPoint, beside: QRect) -> None:
        """Show ``image`` and ``caption`` level with ``at``, just outside ``beside`` (the plot, in the parent's
        coordinates): on its left, else on its right, else next to ``at``; so the points stay in view."""
        side = self.image.width()
        self.image.setPixmap(QPixmap.fromImage(image).scaled(
            side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.caption.setText(caption)
        self.caption.setStyleSheet(f"color: {colour.name()}")
        self.adjustSize()
        parent = self.parentWidget()
        width, height = (parent.width(), parent.height()) if parent is not None else (1 << 20, 1 << 20)
        if beside.left() - self.width() - 6 >= 0:
            x = beside.left() - self.width() - 6
        elif beside.right() + 6 + self.width() <= width:
            x = beside.right() + 6
        else:
            x = at.x() + 14 if at.x() + 14 + self.width() <= width else at.x() - 14 - self.width()
        y = min(max(0, at.y() - self.height() // 2), max(0, height - self.height()))
        self.move(max(0, x), y)
        self.show()
        self.raise_()


class ProjectionView(QWidget):
    """A title, the scatter of projected validation images, and a legend of the classes' colours."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel(TITLE)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setFont(big_font(self, 17, bold=True))
        self.caption = QLabel(CAPTION + " · after each epoch")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setFont(big_font(self, 13))
        self.caption.setStyleSheet(f"color: {MUTED.darker(150).name()}")
        self.caption.setWordWrap(True)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)  # PCA's axes have no units; only the distances mean something
        item.setMenuEnabled(False)
        item.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        item.getViewBox().setAspectLocked(True)
        self.plot.setMinimumSize(180, 180)
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("w", width=1))
        self.plot.addItem(self.scatter)
        self.ring = pg.ScatterPlotItem(size=2 * POINT_SIZE, pen=pg.mkPen("#222", width=3), brush=None)  # the hovered
        self.plot.addItem(self.ring)
        self.legend = QLabel()  # a column beside the plot: its width is free, as the plot keeps its aspect
        self.legend.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        self.legend.setFont(big_font(self, 15, bold=True))
        self.card = HoverCard(self)
        self.animation = QVariantAnimation(self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setDuration(ANIMATION_MS)
        self.animation.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self.animation.valueChanged.connect(self._step)
        # Every mouse move over the plot, straight from its viewport: the scene's own signal skips moves that
        # come quickly after another, and the one it skipped could be where the mouse stopped.
        self.plot.viewport().installEventFilter(self)
        self.images: list[QImage] = []
        self.labels: list[int] = []
        self.class_names: list[str] = []
        self.positions: np.ndarray | None = None  # what is drawn now (mid-animation: in between)
        self.target: np.ndarray | None = None  # where the points are going
        self._from: np.ndarray | None = None
        self._brushes: list = []
        self.epoch = 0
        self.hovered: int | None = None  # the point whose card is showing
        self.scale = 1.0  # presenter mode's text scale: the dots, the hover radius and the card grow with it
        self._lay_out()

    def _lay_out(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.plot, 1)
        row.addWidget(self.legend)
        lay.addWidget(self.title)
        lay.addWidget(self.caption)
        lay.addLayout(row, 1)

    # -- intents -----------------------------------------------------------------------------
    def set_images(self, images, labels, class_names) -> None:
        """A new run's projected images (thumbnails) and their true classes; no points until the first epoch."""
        self.animation.stop()
        self._unhover()
        self.images = [to_qimage(im) for im in images]
        self.labels = [int(v) for v in labels]
        self.class_names = [str(c) for c in class_names]
        self._brushes = [pg.mkBrush(class_colour(c)) for c in self.labels]
        self.positions = self.target = self._from = None
        self.epoch = 0
        self.scatter.clear()
        self.legend.setText(legend_html(self.class_names))
        self.caption.setText(CAPTION + " · after each epoch")

    def clear(self) -> None:
        self.set_images([], [], [])
        self.legend.setText("")

    def show_nothing_to_place(self) -> None:
        """A run without validation images: nothing to project, and the caption says why."""
        self.clear()
        self.caption.setText("no validation images in this run: every image trains")

    def show_points(self, points, epoch: int, *, animate: bool = True) -> bool:
        """One epoch's ``(N, 2)`` points for the N images of :meth:`set_images`; False (ignored) when they don't fit."""
        points = np.asarray(points, dtype=np.float64)
        if points.shape != (len(self.labels), 2) or not len(points):
            return False
        self.caption.setText(CAPTION + f" · epoch {epoch}")
        self.epoch = epoch
        self.animation.stop()
        self._unhover()  # the points move
        self._from, self.target = self.positions, points
        if animate and self._from is not None:
            self.animation.start()
        else:
            self._draw(points)
        return True

    def set_text_scale(self, scale: float) -> None:
        """Presenter mode (gui.presenter): dots, hover radius and the card's image grow with the text."""
        self.scale = float(scale)
        self.card.set_image_size(round(CARD_IMAGE * self.scale))
        if self.positions is not None:
            self._draw(self.positions)

    @property
    def animating(self) -> bool:
        return self.animation.state() == QVariantAnimation.State.Running

    # -- drawing and hovering ------------------------------------------------------------------
    def _step(self, t) -> None:
        if self._from is None or self.target is None:
            return
        self._draw(self._from + (self.target - self._from) * float(t))

    def _draw(self, positions: np.ndarray) -> None:
        self.positions = positions
        self.scatter.setData(pos=positions, brush=self._brushes, size=POINT_SIZE * self.scale,
                             data=np.arange(len(positions)))
        lo, hi = positions.min(axis=0), positions.max(axis=0)
        pad = 0.12 * max(float((hi - lo).max()), 1e-6)  # room for the dots' own size at the edges
        self.plot.getPlotItem().getViewBox().setRange(xRange=(lo[0] - pad, hi[0] + pad),
                                                      yRange=(lo[1] - pad, hi[1] + pad), padding=0)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.plot.viewport():
            if event.type() == QEvent.Type.MouseMove:
                self.hover_at(self.plot.mapToScene(event.position().toPoint()))
            elif event.type() == QEvent.Type.Leave:
                self._unhover()
        return super().eventFilter(obj, event)

    def _unhover(self) -> None:
        self.hovered = None
        self.card.hide()
        self.ring.clear()

    def point_at(self, scene_pos: QPointF) -> int | None:
        """The index of the drawn point under ``scene_pos`` (the nearest within a few pixels), or None."""
        if self.positions is None or not len(self.positions):
            return None
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        at = vb.mapSceneToView(scene_pos)
        px, py = vb.viewPixelSize()
        d = np.hypot((self.positions[:, 0] - at.x()) / px, (self.positions[:, 1] - at.y()) / py)
        i = int(d.argmin())
        return i if d[i] <= HOVER_RADIUS_PX * self.scale else None

    def scene_position(self, i: int) -> QPointF:
        """Where point ``i`` is drawn, in the plot's scene coordinates."""
        x, y = self.positions[i]
        return self.plot.getPlotItem().getViewBox().mapViewToScene(QPointF(float(x), float(y)))

    def hover_at(self, scene_pos: QPointF) -> int | None:
        """Show the card of the point under ``scene_pos`` (hide it when there is none); that point's index."""
        i = self.point_at(scene_pos)
        if i is None:
            self._unhover()
            return None
        if i == self.hovered and self.card.isVisible():
            return i
        self.hovered = i
        self.ring.setData(pos=self.positions[i:i + 1], size=2 * POINT_SIZE * self.scale)
        host = self.window()  # the card floats over the curves beside the plot, leaving the points in view
        if self.card.parentWidget() is not host:
            self.card.setParent(host)
        viewport = self.plot.viewport()
        at = viewport.mapTo(host, self.plot.mapFromScene(self.scene_position(i)))
        plot_rect = QRect(viewport.mapTo(host, QPoint(0, 0)), viewport.size())
        name = self.class_names[self.labels[i]] if self.labels[i] < len(self.class_names) else str(self.labels[i])
        self.card.show_item(self.images[i], f"class {name}", class_colour(self.labels[i]), at, plot_rect)
        return i
