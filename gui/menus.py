"""The main window's menus and keyboard shortcuts (File, View, Classify, Train).

Every action is added to its menu and to the window, so its shortcut works on
any tab; ``Qt.WindowShortcut`` keeps it out of dialogs.  The functions take the
window as ``self`` because they name its actions (``self.find_hand_action``,
``self.presenter_action``...), which the window and the tests use.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


def make_menus(self) -> None:
    """File, View, Classify and Train menus on ``self`` (the main window); each action is also the window's
    shortcut, and the ones other code checks or drives are kept as ``self.<name>_action``."""
    def act(text, shortcut, slot, menu, checkable=False):
        a = QAction(text, self)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if checkable:
            a.setCheckable(True)
            a.setChecked(True)
            a.toggled.connect(slot)
        else:
            a.triggered.connect(slot)
        menu.addAction(a)
        self.addAction(a)
        return a

    tab, c = self.classify_tab, self.classify
    m = self.menuBar().addMenu("&File")
    act("Open images…", "Ctrl+O", self._on_classify(tab.ask_open_images), m)
    act("Open folder of images…", "Ctrl+Shift+O", self._on_classify(tab.ask_open_folder), m)
    act("Open video…", "Ctrl+Shift+V", self._on_classify(tab.ask_open_video), m)
    act("Open model…", "Ctrl+M", tab.ask_open_model, m)
    act("Export…", "Ctrl+E", lambda: self.exporter.ask_and_export(self.report and self.report.path), m)
    m.addSeparator()
    act("Save snapshot", "Ctrl+S", lambda: c.snapshot(), m)
    m.addSeparator()
    act("Quit", "Ctrl+Q", self.close, m)
    v = self.menuBar().addMenu("&View")
    for i in range(self.tabs.count()):
        name = self.tabs.tabText(i)
        act(name, f"Ctrl+{i + 1}", lambda _=False, i=i: self.tabs.setCurrentIndex(i), v)
    _make_view_actions(self, act, v)
    m = self.menuBar().addMenu("&Classify")
    self.pause_action = act("Pause / resume", "Space", c.toggle_pause, m)
    act("Next image", "PgDown", c.next_image, m)
    act("Previous image", "PgUp", c.previous_image, m)
    act("Centre the region", "Ctrl+R", c.reset_region, m)
    self.find_hand_action = act("Find hand", "Ctrl+H", self._find_hand_toggled, m, checkable=True)
    act("Start camera", "Ctrl+K", self.start_selected_camera, m)
    self.heatmap_action = act("Show heatmap", "Ctrl+G", tab.set_heatmap, m, checkable=True)
    self.heatmap_action.setChecked(False)  # the tab's saved setting switches it on (heatmap_shown)
    tab.heatmap_shown.connect(self.heatmap_action.setChecked)
    _make_train_actions(self, act, self.menuBar().addMenu("&Train"))

def _make_view_actions(self, act, v) -> None:
    """Tab cycling, presenter mode, full screen and the text size, in the View menu."""
    def keys(a, *sequences):
        a.setShortcuts([QKeySequence(k) for k in sequences])

    keys(act("Next tab", "", lambda: self._step_tab(1), v), "Ctrl+Tab", "Ctrl+PgDown")
    keys(act("Previous tab", "", lambda: self._step_tab(-1), v), "Ctrl+Shift+Tab", "Ctrl+Shift+Backtab", "Ctrl+PgUp")
    v.addSeparator()
    self.presenter_action = act("Presenter mode", "F11", self.presenter.toggle, v)
    self.presenter_action.setCheckable(True)
    self.leave_presenter_action = act("Leave presenter mode", "Esc", self.presenter.leave, v)
    self.leave_presenter_action.setEnabled(False)  # Esc belongs to dialogs and menus otherwise
    act("Full screen", "Shift+F11", self.toggle_full_screen, v)
    v.addSeparator()
    keys(act("Larger text", "", lambda: self.presenter.larger(self.settings), v), "Ctrl++", "Ctrl+=")
    act("Smaller text", "Ctrl+-", lambda: self.presenter.smaller(self.settings), v)
    act("Reset text size", "Ctrl+0", lambda: self.presenter.set_scale(1.0, self.settings), v)
    self.presenter.presenting_changed.connect(self.presenter_action.setChecked)
    self.presenter.presenting_changed.connect(self.leave_presenter_action.setEnabled)
    self.presenter.scale_changed.connect(lambda s: self.show_status(f"Text size {s:.0%}", 3000))

def _make_train_actions(self, act, m) -> None:
    """Start, pause and stop training from anywhere (the Train tab comes to the front to show it)."""
    t = self.train_tab
    self.start_training_action = act("Start training", "Ctrl+Return", self._start_training, m)
    self.start_training_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    self.pause_training_action = act("Pause / resume training", "Ctrl+P", t.toggle_pause, m)
    self.stop_training_action = act("Stop training", "Ctrl+.", t.stop_training, m)
    self.stop_training_action.setShortcuts([QKeySequence("Ctrl+."), QKeySequence("Shift+Esc")])
    self._show_training_running(False)
