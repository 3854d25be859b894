"""Presenter mode and the text size: type big enough for the back of a classroom, controls out of the way.

Two pieces, both driven from the main window's View menu:

* :class:`TextScaler` applies one text scale to a window and everything in it:
  the application font and style sheet sizes, every widget that set its own
  font (its size when first seen, times the scale), widgets that paint their
  own text (they offer ``set_text_scale(scale)``), and pyqtgraph plots (tick and
  label fonts, titles, axis and curve pens, markers; colour bars' axes too).  Scale 1 gives back
  exactly what was there before.
* :class:`Presenter` owns the user's text scale (kept in the settings as
  ``view/text_scale``) and presenter mode: full screen, the text scale times
  :data:`PRESENTER_BOOST`, widgets sized to the screen (those offering
  ``set_screen_height(pixels or None)``: the predicted class is at least 1/8 of
  the screen high), and the controls hidden until the cursor comes within
  :data:`EDGE_PX` of the edge they belong to.  Leaving restores the window
  state, its geometry and each control's visibility as they were.

The window says which widgets are controls, per edge ("top", "left", "right",
"bottom"); a tab adds its own by offering ``presenter_controls()`` returning
such a mapping.  Nothing here runs per frame: a 10 Hz cursor check while
presenting, and a walk over the widgets when the scale changes.
"""

from __future__ import annotations

import logging
import re

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPoint, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from gui.settings import get_float

log = logging.getLogger(__name__)

SCALE_KEY = "view/text_scale"
MIN_SCALE, MAX_SCALE, STEP = 0.7, 2.5, 1.1  # Ctrl++ / Ctrl+- multiply or divide by STEP
PRESENTER_BOOST = 1.5  # presenter mode's type: the user's scale times this
EDGE_PX = 12  # how close to an edge the cursor must come to show that edge's controls
KEEP_PX = 48  # revealed controls stay while the cursor is this close to them
POLL_MS = 100
HINT_MS = 4000  # how long entering presenter mode says how to get the controls and how to leave
HINT = "Presenter mode · move the mouse to an edge for the controls · Esc or F11 leaves"
EDGES = ("top", "left", "right", "bottom")
_SIZE = re.compile(r"(font-size\s*:\s*)(\d+(?:\.\d+)?)(px|pt)")


def clamp_scale(scale: float) -> float:
    return round(min(MAX_SCALE, max(MIN_SCALE, float(scale))), 3)


def scale_sizes(text: str, scale: float) -> str:
    """``text`` (a style sheet or rich text) with every ``font-size: N px|pt`` multiplied by ``scale``."""
    return _SIZE.sub(lambda m: f"{m[1]}{max(1, round(float(m[2]) * scale))}{m[3]}", text)


def _scaled_font(base: QFont, scale: float) -> QFont:
    f = QFont(base)
    if base.pixelSize() > 0:
        f.setPixelSize(max(1, round(base.pixelSize() * scale)))
    elif base.pointSizeF() > 0:
        f.setPointSizeF(base.pointSizeF() * scale)
    return f


class TextScaler:
    """Applies a text scale to a window; remembers what each scaled thing looked like at scale 1."""

    def __init__(self):
        app = QApplication.instance()
        # Kept on the application, so every window (and a second window while a first is scaled) starts from
        # the same unscaled font and style sheet.
        if not isinstance(app.property("textScaleFont"), QFont):
            app.setProperty("textScaleFont", QFont(app.font()))
            app.setProperty("textScaleStyle", app.styleSheet())
        self.app_font = QFont(app.property("textScaleFont"))
        self.app_style = str(app.property("textScaleStyle") or "")
        self.scale = 1.0

    def apply(self, root: QWidget, scale: float) -> None:
        if scale == 1 and self.scale == 1:
            return  # nothing was ever scaled (the usual start-up): leave every widget alone
        app = QApplication.instance()
        self.scale = scale
        app.setFont(_scaled_font(self.app_font, scale))
        style = scale_sizes(self.app_style, scale) if scale != 1 else self.app_style
        if app.styleSheet() != style:
            app.setStyleSheet(style)
        for w in [root, *root.findChildren(QWidget)]:
            if w.testAttribute(Qt.WidgetAttribute.WA_SetFont) and not w.property("textScaleOwn"):
                self._scale_widget_font(w, scale)
            if hasattr(w, "set_text_scale"):
                w.set_text_scale(scale)
            if isinstance(w, pg.GraphicsView) and w.scene() is not None:
                scale_plot_items(w, scale, self.app_font)

    def restore_app(self) -> None:
        """Give the application its font and style sheet back (the window that scaled them is gone)."""
        app = QApplication.instance()
        app.setFont(self.app_font)
        if app.styleSheet() != self.app_style:
            app.setStyleSheet(self.app_style)

    @staticmethod
    def _scale_widget_font(w: QWidget, scale: float) -> None:
        base = w.property("textScaleBase")
        if not isinstance(base, QFont):
            base = QFont(w.font())
            w.setProperty("textScaleBase", base)
        w.setFont(_scaled_font(base, scale))


def scale_plot_items(view: pg.GraphicsView, scale: float, app_font: QFont) -> None:
    """A pyqtgraph view's type and lines at ``scale``: every axis (plots' and colour bars'), plot titles, curves.

    ``app_font`` is the application's font at scale 1: what an axis without a font of its own draws with.
    """
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            scale_axis(item, scale, app_font)
        elif isinstance(item, pg.PlotItem):
            base = getattr(item, "_text_scale_base", None)
            if base is None:
                base = item._text_scale_base = {"title": item.titleLabel.text}
            if base["title"]:
                item.titleLabel.setText(scale_sizes(base["title"], scale))
            for di in item.listDataItems():
                _scale_data_item(di, scale)


def scale_axis(ax: pg.AxisItem, scale: float, app_font: QFont) -> None:
    """Tick font, label size, pen width and tick length of one axis at ``scale`` (scale 1: as it was)."""
    b = getattr(ax, "_text_scale_base", None)
    if b is None:
        b = ax._text_scale_base = {"tick": ax.style.get("tickFont"), "pen": pg.mkPen(ax.pen()),
                                   "length": ax.style.get("tickLength", 5), "label": dict(ax.labelStyle)}
    tick = b["tick"] if b["tick"] is not None else app_font
    ax.setTickFont(b["tick"] if scale == 1 else _scaled_font(tick, scale))
    pen = pg.mkPen(b["pen"])
    pen.setWidthF(b["pen"].widthF() * scale if scale > 1 else b["pen"].widthF())
    ax.setPen(pen)
    ax.setStyle(tickLength=round(b["length"] * scale))
    style = dict(b["label"])
    if scale != 1:
        style["font-size"] = _css_size(tick, 1.15 * scale)
    ax.labelStyle = style
    if ax.labelText:
        ax._updateLabel()


def _css_size(font: QFont, factor: float) -> str:
    if font.pixelSize() > 0:
        return f"{round(font.pixelSize() * factor)}px"
    return f"{font.pointSizeF() * factor:.1f}pt"


def _scale_data_item(di, scale: float) -> None:
    if not isinstance(di, pg.PlotDataItem):
        return
    base = getattr(di, "_text_scale_base", None)
    if base is None:
        base = di._text_scale_base = {"pen": di.opts.get("pen"), "symbol": di.opts.get("symbolSize", 10)}
    if base["pen"] is not None:
        pen = pg.mkPen(base["pen"])
        pen.setWidthF(pen.widthF() * scale if scale > 1 else pen.widthF())
        di.setPen(pen)
    if di.opts.get("symbol") is not None:
        di.setSymbolSize(base["symbol"] * scale)


class Presenter(QObject):
    """The user's text scale and presenter mode for one window."""

    presenting_changed = Signal(bool)
    scale_changed = Signal(float)  # the user's text scale (not the presenter boost)

    def __init__(self, window: QWidget, controls, tabs=tuple, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.controls = controls  # () -> {edge: [widget, ...]}: the window's own controls that presenter mode hides
        self.tabs = tabs  # () -> the tabs; a tab adds its controls with presenter_controls() -> {edge: [widget, ...]}
        self.scaler = TextScaler()
        self.user_scale = 1.0
        self.active = False
        self.hidden: dict[str, list[QWidget]] = {}  # per edge, the controls this mode hid (they were visible)
        self.revealed: set[str] = set()
        self._saved_state = Qt.WindowState.WindowNoState
        self._saved_geometry = None
        self._saved_rect = QRect()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(lambda: self.track(QCursor.pos()))
        self.hint: QLabel | None = None
        self.hint_timer = QTimer(self)
        self.hint_timer.setSingleShot(True)
        self.hint_timer.setInterval(HINT_MS)
        self.hint_timer.timeout.connect(lambda: self.hint and self.hint.hide())

    # -- the text scale ----------------------------------------------------------------------------
    @property
    def effective_scale(self) -> float:
        return self.user_scale * (PRESENTER_BOOST if self.active else 1.0)

    def restore(self, settings: QSettings) -> None:
        self.set_scale(get_float(settings, SCALE_KEY, 1.0), settings=None)

    def save(self, settings: QSettings) -> None:
        settings.setValue(SCALE_KEY, self.user_scale)

    def set_scale(self, scale: float, settings: QSettings | None = None) -> None:
        """The user's text scale, applied at once (and saved when ``settings`` is given)."""
        self.user_scale = clamp_scale(scale)
        self.apply()
        if settings is not None:
            self.save(settings)
            settings.sync()
        self.scale_changed.emit(self.user_scale)

    def larger(self, settings=None) -> None:
        self.set_scale(self.user_scale * STEP, settings)

    def smaller(self, settings=None) -> None:
        self.set_scale(self.user_scale / STEP, settings)

    def apply(self) -> None:
        self.scaler.apply(self.window, self.effective_scale)

    def shutdown(self) -> None:
        self.timer.stop()
        self.scaler.restore_app()

    # -- presenter mode ----------------------------------------------------------------------------
    def toggle(self, *_) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        self._saved_state = w.windowState()
        self._saved_geometry = w.saveGeometry()
        self._saved_rect = w.geometry()
        self.hidden = {edge: [c for c in ws if not c.isHidden()] for edge, ws in self._controls().items()}
        for ws in self.hidden.values():
            for c in ws:
                c.hide()
        self.revealed = set()
        self.active = True
        w.showFullScreen()
        self._size_to_screen(w.screen().geometry().height())
        self.apply()
        self.timer.start()
        self._show_hint()
        log.info("presenter mode on (text scale %.2f)", self.effective_scale)
        self.presenting_changed.emit(True)

    def leave(self) -> None:
        if not self.active:
            return
        self.timer.stop()
        self.hint_timer.stop()
        if self.hint is not None:
            self.hint.hide()
        self.active = False
        for ws in self.hidden.values():
            for c in ws:
                c.show()
        self.hidden, self.revealed = {}, set()
        self._size_to_screen(None)
        self.apply()
        w = self.window
        w.setWindowState(self._saved_state)
        if not self._saved_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            w.setGeometry(self._saved_rect)  # exactly (restoreGeometry would fit it to the screen)
        w.show()
        log.info("presenter mode off")
        self.presenting_changed.emit(False)

    def _show_hint(self) -> None:
        """Say, for a few seconds, where the controls went and how to leave (the status bar is hidden too)."""
        if self.hint is None:
            self.hint = QLabel(HINT, self.window)
            self.hint.setObjectName("presenterHint")
            self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        px = round(18 * self.effective_scale)
        self.hint.setStyleSheet(f"background: rgba(20, 24, 30, 200); color: white; border-radius: 10px; "
                                f"padding: {px // 2}px {px}px; font-size: {px}px;")
        self.hint.adjustSize()
        width = self.window.screen().geometry().width()  # full screen is the screen (the resize may still be on its way)
        self.hint.move(max(0, (width - self.hint.width()) // 2), px * 2)
        self.hint.show()
        self.hint.raise_()
        self.hint_timer.start()

    def normal_geometry(self):
        """What to save as the window's geometry: the one from before presenter mode while it is on."""
        return self._saved_geometry if self.active else self.window.saveGeometry()

    def normal_size(self):
        """What to save as the window's size: the one from before presenter mode while it is on."""
        return self._saved_rect.size() if self.active else self.window.size()

    def _controls(self) -> dict[str, list[QWidget]]:
        found = {edge: [] for edge in EDGES}
        for group in [self.controls(), *(getattr(t, "presenter_controls", dict)() for t in self.tabs())]:
            for edge, ws in group.items():
                found[edge] += [c for c in ws if c is not None]
        return found

    def _size_to_screen(self, height: int | None) -> None:
        for c in self.window.findChildren(QWidget):
            if hasattr(c, "set_screen_height"):
                c.set_screen_height(height)

    # -- controls that appear near their edge ----------------------------------------------------------
    def track(self, global_pos: QPoint) -> None:
        """Show an edge's controls when the cursor comes near that edge; hide them when it moves away."""
        if not self.active:
            return
        pos = self.window.mapFromGlobal(global_pos)
        busy = QApplication.activePopupWidget() is not None or QApplication.activeModalWidget() is not None
        for edge, ws in self.hidden.items():
            if not ws:
                continue
            near = self._near_edge(edge, pos) or (edge in self.revealed and self._near_controls(ws, pos))
            if near and edge not in self.revealed:
                self.revealed.add(edge)
                for c in ws:
                    c.show()
            elif not near and edge in self.revealed and not busy:
                self.revealed.discard(edge)
                for c in ws:
                    c.hide()

    def _near_edge(self, edge: str, pos: QPoint) -> bool:
        r = self.window.rect()
        if not r.adjusted(-EDGE_PX, -EDGE_PX, EDGE_PX, EDGE_PX).contains(pos):
            return False
        return {"top": pos.y() < EDGE_PX, "bottom": pos.y() > r.height() - EDGE_PX,
                "left": pos.x() < EDGE_PX, "right": pos.x() > r.width() - EDGE_PX}[edge]

    def _near_controls(self, ws, pos: QPoint) -> bool:
        for c in ws:
            if c.isVisible():
                box = QRect(c.mapTo(self.window, QPoint(0, 0)), c.size())
                if box.adjusted(-KEEP_PX, -KEEP_PX, KEEP_PX, KEEP_PX).contains(pos):
                    return True
        return False
