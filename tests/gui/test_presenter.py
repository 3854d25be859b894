"""Presenter mode, the text size and the keyboard: a real MainWindow offscreen, real key presses and cursor moves."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor, QFontMetricsF, QImage
from PySide6.QtTest import QTest

from gui.presenter import POLL_MS, PRESENTER_BOOST, scale_sizes
from gui.widgets.prediction import DIGIT_SHARE, TopClassLabel
from tests.conftest import tiny_builder
from tests.gui.conftest import settle, wait_for

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(make_window, qtbot):
    """A window without the inference worker (no TensorFlow): presenter mode needs none."""
    win = make_window(background=False, size=(1200, 800))
    qtbot.waitExposed(win)
    win.activateWindow()
    QCursor.setPos(win.mapToGlobal(win.rect().center()))  # away from every edge
    return win


def _controls(win) -> dict:
    return {"menu bar": win.menuBar(), "tab bar": win.tabs.tabBar(), "status bar": win.statusBar(),
            "source bar": win.classify_tab.source_bar, "knobs": win.classify_tab.results.knobs,
            "train settings": win.train_tab.panel}


def _hidden(win) -> dict:
    return {name: w.isHidden() for name, w in _controls(win).items()}


def test_f11_hides_the_controls_and_esc_restores_window_and_visibility(window, qtbot):
    win = window
    win.statusBar().hide()  # the user's own choice before presenter mode: it must stay so afterwards
    before = _hidden(win)
    assert before["status bar"] and not any(v for k, v in before.items() if k != "status bar")
    geometry = win.geometry()

    QTest.keyClick(win, Qt.Key.Key_F11)
    wait_for(qtbot, lambda: win.isFullScreen())
    assert win.presenter.active and win.presenter_action.isChecked() and win.leave_presenter_action.isEnabled()
    assert all(_hidden(win).values()), _hidden(win)
    assert win.presenter.effective_scale == pytest.approx(PRESENTER_BOOST)
    assert win.presenter.hint.isVisible() and "Esc" in win.presenter.hint.text()  # how to get out, said on entry

    QTest.keyClick(win, Qt.Key.Key_Escape)
    wait_for(qtbot, lambda: not win.isFullScreen())
    assert not win.presenter.active and not win.presenter_action.isChecked()
    assert not win.leave_presenter_action.isEnabled()  # Esc is not the window's outside presenter mode
    assert win.presenter.hint.isHidden()
    assert _hidden(win) == before
    assert win.geometry().size() == geometry.size()
    assert win.classify_tab.results.top_label.digit_px == TopClassLabel.BIG  # the type is back to scale 1

    win.showMaximized()
    wait_for(qtbot, lambda: win.isMaximized())
    QTest.keyClick(win, Qt.Key.Key_F11)  # F11 enters and F11 leaves, too
    wait_for(qtbot, lambda: win.isFullScreen())
    QTest.keyClick(win, Qt.Key.Key_F11)
    wait_for(qtbot, lambda: not win.isFullScreen())
    assert win.isMaximized() and _hidden(win) == before


def test_closing_in_presenter_mode_saves_the_window_as_it_was_before(window, make_window, qtbot):
    from tests.gui.conftest import close_window

    win = window
    QTest.keyClick(win, Qt.Key.Key_F11)
    wait_for(qtbot, lambda: win.isFullScreen())
    # Offscreen's 800x800 screen leaves this window at its 1200x800: give it a projector's size, as a real
    # full screen would, so that saving the current size would be wrong.
    win.setGeometry(0, 0, 1920, 1080)
    assert win.presenter.active
    close_window(qtbot, win)
    again = make_window(background=False, size=None)  # the saved size, as at a real start
    assert not again.isFullScreen() and not again.presenter.active
    assert (again.width(), again.height()) == (1200, 800)
    assert not again.menuBar().isHidden() and not again.classify_tab.source_bar.isHidden()


def test_controls_appear_when_the_cursor_nears_their_edge(window, qtbot):
    win = window
    win.presenter.enter()
    wait_for(qtbot, lambda: win.isFullScreen())
    settle(qtbot, 3 * POLL_MS / 1000)
    assert all(_hidden(win).values())

    def move(x, y):
        QCursor.setPos(win.mapToGlobal(QPoint(x, y)))

    w, h = win.width(), win.height()
    move(w // 2, 2)  # the top edge: menus, tabs and the tab's source bar
    wait_for(qtbot, lambda: win.menuBar().isVisible() and win.tabs.tabBar().isVisible(), timeout=3_000)
    assert win.classify_tab.source_bar.isVisible()
    assert win.classify_tab.results.knobs.isHidden() and win.statusBar().isHidden()
    move(w // 2, win.classify_tab.source_bar.mapTo(win, QPoint(0, 0)).y() + 10)  # onto the bar: it stays
    settle(qtbot, 3 * POLL_MS / 1000)
    assert win.classify_tab.source_bar.isVisible()
    move(w // 2, h // 2)  # away: hidden again
    wait_for(qtbot, lambda: win.menuBar().isHidden() and win.classify_tab.source_bar.isHidden(), timeout=3_000)

    move(w // 2, h - 2)  # the bottom edge: the status bar and the Classify knobs
    wait_for(qtbot, lambda: win.statusBar().isVisible() and win.classify_tab.results.knobs.isVisible(), timeout=3_000)
    move(w // 2, h // 2)
    wait_for(qtbot, lambda: win.statusBar().isHidden(), timeout=3_000)

    QTest.keyClick(win, Qt.Key.Key_2, CTRL)  # the Train tab: its settings come in from the left
    assert win.tabs.currentWidget() is win.train_tab
    move(2, h // 2)
    wait_for(qtbot, lambda: win.train_tab.panel.isVisible(), timeout=3_000)
    assert win.menuBar().isHidden()
    move(w // 2, h // 2)
    wait_for(qtbot, lambda: win.train_tab.panel.isHidden(), timeout=3_000)
    win.presenter.leave()
    assert not any(_hidden(win).values())


def _ink_rows(label) -> int:
    """How many pixel rows of the rendered label hold the digit's blue ink (#1565c0)."""
    img = label.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    rgb = arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)
    blue = (rgb[..., 2] > 150) & (rgb[..., 0] < 90)
    return int(blue.any(axis=1).sum())


def test_the_predicted_class_is_at_least_an_eighth_of_the_screen_high(window, qtbot):
    win = window
    top = win.classify_tab.results.top_label
    win.presenter.enter()
    wait_for(qtbot, lambda: win.isFullScreen())
    screen_h = win.screen().geometry().height()
    assert win.height() == screen_h
    for digit in "012345":
        top.show_result(digit, 0.97, False)
        qtbot.wait(1)
        ink = QFontMetricsF(top.big.font()).tightBoundingRect(top.big.text()).height()
        assert ink >= screen_h / DIGIT_SHARE, (digit, ink, screen_h)
        assert _ink_rows(top.big) >= screen_h / DIGIT_SHARE - 2  # what is painted, not only what is asked for
    win.presenter.leave()
    assert QFontMetricsF(top.big.font()).tightBoundingRect("5").height() < 100  # 120 px type: about 87 px of ink


def test_the_size_rule_holds_on_a_tall_screen(qtbot):
    """The text scale alone would give about 130 px of ink: a 2160-px screen needs 270, and gets it."""
    label = TopClassLabel()
    qtbot.addWidget(label)
    label.show()  # the size is a style sheet's: it applies to a shown (polished) label
    label.set_text_scale(PRESENTER_BOOST)
    label.show_result("3", 0.9, False)
    small = QFontMetricsF(label.big.font()).tightBoundingRect("3").height()
    assert small < 2160 / DIGIT_SHARE
    label.set_screen_height(2160)
    for digit in "0123456789":
        label.show_result(digit, 0.9, False)
        assert QFontMetricsF(label.big.font()).tightBoundingRect(digit).height() >= 2160 / DIGIT_SHARE
    label.show_no_hand("no hand in view")
    assert label.big.font().pixelSize() == round(TopClassLabel.NO_HAND * PRESENTER_BOOST)
    label.set_screen_height(None)
    label.show_result("3", 0.9, False)
    assert QFontMetricsF(label.big.font()).tightBoundingRect("3").height() == pytest.approx(small)


def _tick_size(plot) -> float | None:
    """The bottom axis's own tick font size (pixels or points), None when it draws with the default font."""
    font = plot.getPlotItem().getAxis("bottom").style["tickFont"]
    return None if font is None else max(font.pixelSize(), font.pointSizeF())


def test_the_text_scale_applies_everywhere_and_survives_a_restart(window, make_window, qtbot):
    from PySide6.QtWidgets import QApplication

    from tests.gui.conftest import close_window

    win = window
    live, app = win.train_tab.live, QApplication.instance()
    base_app_px, base_app_size = app.font().pixelSize(), max(app.font().pixelSize(), app.font().pointSizeF())
    assert live.epoch_label.font().pixelSize() == 20 and _tick_size(live.loss_plot) is None
    width = live.loss_plot.batch.opts["pen"].widthF()
    QTest.keyClick(win, Qt.Key.Key_Plus, CTRL)
    QTest.keyClick(win, Qt.Key.Key_Equal, CTRL)  # Ctrl+= too: "+" needs Shift on many keyboards
    scale = win.presenter.user_scale
    assert scale == pytest.approx(1.21)
    assert live.epoch_label.font().pixelSize() == round(20 * scale)  # a label with its own big type
    assert _tick_size(live.loss_plot) == pytest.approx(base_app_size * scale, abs=0.5)
    assert live.loss_plot.batch.opts["pen"].widthF() == pytest.approx(width * scale)
    assert win.classify_tab.results.top_label.digit_px == round(TopClassLabel.BIG * scale)
    assert "font-size:19pt" in live.loss_plot.getPlotItem().titleLabel.text  # 16 pt title
    if base_app_px > 0:
        assert app.font().pixelSize() == round(base_app_px * scale)
    else:
        assert app.font().pointSizeF() > 0
    close_window(qtbot, win)
    assert app.font().pixelSize() == base_app_px  # a closed window gives the application its font back

    again = make_window(background=False, size=(1200, 800))
    assert again.presenter.user_scale == pytest.approx(scale)
    assert again.train_tab.live.epoch_label.font().pixelSize() == round(20 * scale)
    again.activateWindow()  # window shortcuts need the active window
    wait_for(qtbot, lambda: again.isActiveWindow())
    QTest.keyClick(again, Qt.Key.Key_F11)  # presenter mode multiplies the user's scale
    wait_for(qtbot, lambda: again.isFullScreen())
    assert again.train_tab.live.epoch_label.font().pixelSize() == round(20 * scale * PRESENTER_BOOST)
    QTest.keyClick(again, Qt.Key.Key_F11)
    wait_for(qtbot, lambda: again.isActiveWindow() and not again.isFullScreen())
    QTest.keyClick(again, Qt.Key.Key_0, CTRL)
    assert again.presenter.user_scale == 1.0 and again.train_tab.live.epoch_label.font().pixelSize() == 20
    assert _tick_size(again.train_tab.live.loss_plot) is None  # scale 1 is exactly what was there before
    QTest.keyClick(again, Qt.Key.Key_Minus, CTRL)
    assert again.presenter.user_scale == pytest.approx(1 / 1.1, abs=1e-3)
    for _ in range(30):
        QTest.keyClick(again, Qt.Key.Key_Minus, CTRL)
    assert again.presenter.user_scale == 0.7  # bounded


def test_colour_bars_and_image_plots_scale_too(qtbot):
    """A heatmap with a colour bar (as the gradient and activation views draw them): every axis follows the scale."""
    import pyqtgraph as pg

    from gui.presenter import TextScaler

    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    plot = view.addPlot(title="<span style='font-size:14pt'>gradient norms</span>")
    plot.setLabel("left", "layer")
    image = pg.ImageItem(np.random.default_rng(0).random((8, 16)).astype(np.float32))
    plot.addItem(image)
    bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get("viridis"))
    bar.setImageItem(image, insert_in=plot)
    axes = [it for it in view.scene().items() if isinstance(it, pg.AxisItem)]
    assert bar.axis in axes and len(axes) >= 5
    scaler = TextScaler()
    scaler.apply(view, 2.0)
    try:
        assert all(ax.style["tickFont"] is not None for ax in axes)
        assert "font-size:28pt" in plot.titleLabel.text
        assert plot.getAxis("left").labelStyle["font-size"]
        scaler.apply(view, 1.0)
        assert all(ax.style["tickFont"] is None for ax in axes) and "font-size:14pt" in plot.titleLabel.text
        assert "font-size" not in plot.getAxis("left").labelStyle
    finally:
        scaler.restore_app()


def test_scale_sizes_rewrites_only_font_sizes():
    assert scale_sizes("QTabBar::tab { font-size: 18px; padding: 8px 22px; }", 1.5) == \
        "QTabBar::tab { font-size: 27px; padding: 8px 22px; }"
    assert scale_sizes("<span style='font-size:16pt'>Loss</span>", 2) == "<span style='font-size:32pt'>Loss</span>"


def test_tabs_cycle_with_ctrl_tab(window):
    win = window
    n = win.tabs.count()
    win.tabs.setCurrentIndex(0)
    for i in range(1, n + 1):
        QTest.keyClick(win, Qt.Key.Key_Tab, CTRL)
        assert win.tabs.currentIndex() == i % n
    QTest.keyClick(win, Qt.Key.Key_Backtab, CTRL | SHIFT)  # what Ctrl+Shift+Tab sends
    assert win.tabs.currentIndex() == n - 1
    QTest.keyClick(win, Qt.Key.Key_PageUp, CTRL)
    assert win.tabs.currentIndex() == n - 2


def test_training_shortcuts_start_pause_and_stop_a_real_run(window, qtbot):
    win = window
    tab = win.train_tab
    menu = {a.text(): a for a in win.menuBar().actions()}["&Train"].menu()
    shown = {a.text(): a.shortcut().toString() for a in menu.actions()}
    assert shown == {"Start training": "Ctrl+Return", "Pause / resume training": "Ctrl+P", "Stop training": "Ctrl+."}
    assert not win.pause_training_action.isEnabled() and not win.stop_training_action.isEnabled()
    QTest.keyClick(win, Qt.Key.Key_P, CTRL)  # nothing runs: nothing to pause
    assert not tab.controller.paused

    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(400)
    tab.batch_size.setValue(16)
    tab.max_per_class.setValue(10)
    QTest.keyClick(win, Qt.Key.Key_Return, CTRL)  # from the Classify tab: the Train tab comes to the front
    assert tab.running and win.tabs.currentWidget() is tab
    assert not win.start_training_action.isEnabled() and win.stop_training_action.isEnabled()
    wait_for(qtbot, lambda: tab.epochs_seen >= 1, timeout=90_000)
    QTest.keyClick(win, Qt.Key.Key_P, CTRL)
    assert tab.controller.paused and tab.pause_button.text() == "Resume"
    QTest.keyClick(win, Qt.Key.Key_P, CTRL)
    assert not tab.controller.paused and tab.pause_button.text() == "Pause"
    QTest.keyClick(win, Qt.Key.Key_Escape, SHIFT)  # stop: ends within a batch, then evaluates and saves
    assert not tab.stop_button.isEnabled()
    wait_for(qtbot, lambda: not tab.running, timeout=90_000)
    assert tab.outcome.result.status == "stopped" and len(tab.outcome.result.history) < 400
    assert win.start_training_action.isEnabled() and not win.stop_training_action.isEnabled()
