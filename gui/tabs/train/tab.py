"""The Train tab as the main window sees it: the settings panel, the live view and the results, wired to a controller.

:class:`TrainTab` implements the window's :class:`gui.tabs.base.Tab` protocol
and the Train tab's own signals and methods; everything else happens in
:class:`~gui.tabs.train.controller.TrainController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QSplitter, QWidget

from gui.tabs.train.controller import TrainController
from gui.tabs.train.live_view import LiveView
from gui.tabs.train.results_view import RESULTS_PAGE, ResultsView
from gui.tabs.train.settings_panel import SettingsPanel

RESULTS_HEIGHT = 320  # the confusion matrix and a row of mistakes; the log is fine with less (it scrolls)


class TrainTab(QWidget):
    use_model_requested = Signal(str)  # path of the trained model
    training_running = Signal(bool)
    status_message = Signal(str, int)  # a status-bar line and how long to show it (ms; 0: until replaced)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.panel = SettingsPanel()
        self.live = LiveView()
        self.results = ResultsView()
        self.controller = TrainController(self.panel, self.live, self.results, self)
        self._lay_out()
        self._wire()
        self._expose_widgets()

    def _lay_out(self) -> None:
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.live)
        split.addWidget(self.results)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)  # never squeeze the curves below their minimum height
        split.setSizes([3000, 1000])
        root = QHBoxLayout(self)
        root.addWidget(self.panel)
        root.addWidget(split, 1)

    def _wire(self) -> None:
        c = self.controller
        self.panel.start_button.clicked.connect(c.start_training)
        self.panel.pause_button.clicked.connect(c.toggle_pause)
        self.panel.stop_button.clicked.connect(c.stop_training)
        self.panel.finetune_button.clicked.connect(c.start_finetune)
        self.results.use_requested.connect(c.use_model)
        self.results.save_requested.connect(self._save_as_dialog)
        self.results.currentChanged.connect(self._bottom_tab_changed)
        c.use_model_requested.connect(self.use_model_requested)
        c.running_changed.connect(self.training_running)
        c.status_message.connect(self.status_message)

    def _expose_widgets(self) -> None:
        """The widgets tests and tools/screenshots.py drive, under the names they always had."""
        p, lv, r = self.panel, self.live, self.results
        self.dataset_combo, self.preset_combo, self.device_combo = p.dataset_combo, p.preset_combo, p.device_combo
        self.epochs, self.batch_size, self.learning_rate = p.epochs, p.batch_size, p.learning_rate
        self.augment, self.seed, self.max_per_class = p.augment, p.seed, p.max_per_class
        self.start_button, self.pause_button, self.stop_button = p.start_button, p.pause_button, p.stop_button
        self.banner, self.progress, self.epoch_label, self.rate_label = lv.banner, lv.progress, lv.epoch_label, lv.rate_label
        self.loss_plot, self.acc_plot, self.strip = lv.loss_plot, lv.acc_plot, lv.strip
        self.projection = lv.projection
        self.log_view, self.test_label = r.log_view, r.test_label
        self.confusion, self.wrong, self.wrong_title = r.confusion, r.wrong, r.wrong_title
        self.use_button, self.save_button = r.use_button, r.save_button

    def _bottom_tab_changed(self, index: int) -> None:
        """Results (confusion matrix, mistakes) get about 320 px; the log scrolls in a quarter of the height."""
        total = sum(self.split.sizes())
        if total <= 0:
            return
        bottom = RESULTS_HEIGHT if index == RESULTS_PAGE else total // 4
        self.split.setSizes([max(1, total - bottom), bottom])

    def _save_as_dialog(self) -> None:
        outcome = self.controller.outcome
        if outcome is None or not outcome.result.model_path:
            return
        src = Path(outcome.result.model_path)
        dst, _ = QFileDialog.getSaveFileName(self, "Save model as", str(Path.home() / src.name), "Keras model (*.keras)")
        if dst:
            self.controller.save_model_as(dst)

    # -- what other code calls on the tab ----------------------------------------------------------
    def start_training(self) -> bool:
        return self.controller.start_training()

    def start_finetune(self) -> bool:
        return self.controller.start_finetune()

    def stop_training(self) -> None:
        self.controller.stop_training()

    def toggle_pause(self) -> None:
        """Pause a running training, or resume a paused one (Train ▸ Pause / resume, Ctrl+P)."""
        self.controller.toggle_pause()

    def presenter_controls(self) -> dict:
        """What presenter mode hides until the cursor nears the left edge: the settings and run buttons."""
        return {"left": [self.panel]}

    def save_model_as(self, dst) -> Path | None:
        return self.controller.save_model_as(dst)

    def set_devices(self, devices) -> None:
        self.panel.set_devices(devices)

    def set_current_model(self, path: Path | None, class_names) -> None:
        """The Classify tab's model: what "Fine-tune on my samples" starts from."""
        self.controller.current_model_path = path
        self.controller.current_model_classes = list(class_names)

    @property
    def running(self) -> bool:
        return self.controller.running

    @property
    def outcome(self):
        return self.controller.outcome

    @outcome.setter
    def outcome(self, value) -> None:
        self.controller.outcome = value

    @property
    def builder(self):
        return self.controller.builder

    @builder.setter
    def builder(self, value) -> None:
        self.controller.builder = value

    @property
    def custom_folder(self) -> str:
        return self.panel.custom_folder

    @custom_folder.setter
    def custom_folder(self, folder: str) -> None:
        self.panel.custom_folder = folder

    @property
    def epochs_seen(self) -> int:
        return self.controller.history.epochs_seen

    @property
    def batches_seen(self) -> int:
        return self.controller.history.batches_seen

    @property
    def worker(self):
        """The training worker (None before the first run); its ``process`` is the running child."""
        return self.controller.worker

    @property
    def worker_thread(self):
        return self.controller.worker_thread

    # -- the window's Tab protocol ---------------------------------------------------------------
    def restore_settings(self, settings) -> None:
        self.panel.restore_settings(settings)

    def save_settings(self, settings) -> None:
        self.panel.save_settings(settings)

    def busy(self) -> bool:
        return self.controller.running

    def request_stop(self) -> None:
        self.controller.stop_training()

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Stop a running training (it ends within a batch and saves), then end its thread and the redraw timer."""
        return self.controller.shutdown(timeout_ms)
