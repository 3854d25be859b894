"""The main window: the tabs, menus and shortcuts, presenter mode, start-up and an orderly shutdown.

Start-up shows the window first; the model is loaded on the inference
worker's thread afterwards (``start_background``), with the progress in the
status bar: on LiteRT, without TensorFlow, when its checked conversion is at
hand.  TensorFlow is imported in the background only for what needs it: the
Model tab asks for the Keras summary when it is first shown, the Train tab's
device list comes from a child process (``gui.workers.devices``) when that tab
is first shown, and training runs in its own process.  Each tab speaks to the window only through the
``gui.tabs.base.Tab`` protocol (settings, busy / stop / shutdown, a status
message) and its own named methods and signals.  Closing stops the camera, asks
busy tabs to stop (a training ends within a batch and still saves its model),
then ends every worker thread and waits for it.

"Find hand" (Classify ▸ Find hand, Ctrl+H, and a button on the Classify and
Collect tabs) is one setting for the whole window, kept in ``hands/find``.  If
the hand models cannot be loaded, the window says so once, switches it off and
the tabs go on with the user's box.  Presenter mode and the text size (View menu) are
``gui.presenter``'s; the window names its bars and asks each tab for ``presenter_controls()``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSize, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from gui.export_dialog import ExportController
from gui.menus import make_menus
from gui.presenter import Presenter
from gui.settings import get_bool, get_int, get_str, open_settings
from gui.sources import FrameService
from gui.tabs.base import Tab
from gui.tabs.classify import ClassifyTab
from gui.tabs.collect import CollectTab
from gui.tabs.inside import InsideTab
from gui.tabs.model import ModelTab
from gui.tabs.residual import ResidualTab
from gui.tabs.train import TrainTab
from gui.threads import freeze_heap, keep_ui_responsive, start_worker, stop_thread
from gui.workers.devices import DeviceLister
from gui.workers.inference import InferenceWorker

log = logging.getLogger(__name__)

TABS = ("Classify", "Train", "Model", "Collect", "Inside", "Residual vs plain")


class _Requests(QObject):
    """Queued requests from the UI thread to the inference worker."""

    start = Signal()
    describe = Signal()
    summary = Signal()  # the Keras summary of the model in use (the Model tab, first shown)


class MainWindow(QMainWindow):
    model_ready = Signal(object)  # core.model.describe.ModelReport, after every successful load
    model_failed = Signal(str)  # why a model could not be loaded (or why there is none)
    closed = Signal()  # every worker has ended and the window is closed

    def __init__(self, *, model_path: str | None = None, start_source: bool = True, camera_factory=None):
        super().__init__()
        keep_ui_responsive()
        self.setWindowTitle("Hand Sign Studio")
        self.settings = open_settings()
        self.requested_model = model_path
        self.start_source = start_source
        self.report = None
        self.worker: InferenceWorker | None = None
        self.worker_thread = None
        self.backend_loaded = False  # the training backend answered: the Train tab's device list is final
        self.devices = DeviceLister(self)  # probes in a child process when the Train tab is first shown
        self.model_error: str | None = None
        self.closing = False
        self.close_deadline = 0.0
        self.closed_cleanly = False
        self.user_dir_problem: str | None = None
        self.user_dir_box = None
        self.user_dir_label = None
        self.find_hand_wanted = True  # the user's choice, saved (a failed hand model switches it off for now only)
        self.hands_box = None  # the one message that hand finding is unavailable
        self.t_created = time.perf_counter()

        self.frames = FrameService(self, camera_factory=camera_factory)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.classify_tab = ClassifyTab(self.frames)
        self.classify = self.classify_tab.controller  # what the menus and the inference worker talk to
        self.train_tab = TrainTab()
        self.model_tab = ModelTab()
        self.collect_tab = CollectTab(self.frames)
        self.inside_tab = InsideTab()  # follows the Classify tab's classified crops (start_background)
        self.residual_tab = ResidualTab()
        self.all_tabs: tuple[Tab, ...] = (self.classify_tab, self.train_tab, self.model_tab, self.collect_tab,
                                          self.inside_tab, self.residual_tab)
        for tab, name in zip(self.all_tabs, TABS, strict=True):
            self.tabs.addTab(tab, name)
            tab.status_message.connect(self.show_status)
        self.setCentralWidget(self.tabs)
        self.model_status = QLabel("Starting…")  # the one place that names the model in use
        self.statusBar().addPermanentWidget(self.model_status)

        self.exporter = ExportController(self)  # File > Export…
        self.exporter.status_message.connect(self.show_status)
        # F11 and the text size (View menu); presenter mode hides these bars and each tab's presenter_controls()
        self.presenter = Presenter(self, lambda: {"top": [self.menuBar(), self.tabs.tabBar()],
                                                  "bottom": [self.statusBar()]}, tabs=lambda: self.all_tabs)
        make_menus(self)
        self._wire()
        self._restore_settings()

    # ------------------------------------------------------------------ construction
    def _on_classify(self, slot):
        """``slot`` run with the Classify tab in front (what it opens is shown there)."""
        def run(*_):
            self.tabs.setCurrentWidget(self.classify_tab)
            slot()

        return run

    def _wire(self) -> None:
        self.classify.sample_saved.connect(lambda *_: self.collect_tab.refresh())
        self.train_tab.use_model_requested.connect(self.use_model)
        self.collect_tab.start_camera_requested.connect(self.start_selected_camera)
        for tab in (self.classify_tab, self.collect_tab):
            tab.find_hand_toggled.connect(self.set_find_hand)
        self.train_tab.training_running.connect(self._show_training_running)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)  # position, screen and maximised state
        size = s.value("window/size")
        if isinstance(size, QSize) and size.isValid():
            self.resize(size)  # the exact size (geometry restore can be off by the frame on some platforms)
        elif not (isinstance(geo, QByteArray) and not geo.isEmpty()):
            self.resize(1400, 900)
        self.tabs.setCurrentIndex(min(max(0, get_int(s, "window/tab", 0)), len(TABS) - 1))
        self.set_find_hand(get_bool(s, "hands/find", True))
        for tab in self.all_tabs:
            tab.restore_settings(s)
        self.presenter.restore(s)  # the text size, applied to every widget built above

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.presenter.normal_geometry())  # never the presenter's full screen
        s.setValue("window/size", self.presenter.normal_size())
        s.setValue("window/tab", self.tabs.currentIndex())
        s.setValue("hands/find", self.find_hand_wanted)
        self.presenter.save(s)
        if self.report is not None and self.report.path:
            s.setValue("model/path", str(self.report.path))
        for tab in self.all_tabs:
            tab.save_settings(s)
        s.sync()

    # ------------------------------------------------------------------ start-up
    def initial_model_path(self) -> Path:
        from core.paths import shipped_model_path

        if self.requested_model:
            return Path(self.requested_model)
        last = get_str(self.settings, "model/path", "")
        if last and Path(last).exists():
            return Path(last)
        return shipped_model_path()

    def start_background(self) -> None:
        """Called once the window is on screen: TensorFlow, the model and the source, off the UI thread."""
        if self.worker is not None:
            return
        log.info("window shown %.3f s after creation", time.perf_counter() - self.t_created)
        self.worker = w = InferenceWorker()
        self._requests = _Requests()
        self._requests.start.connect(w.start)
        self._requests.describe.connect(w.describe_architecture)
        self._requests.summary.connect(w.describe_loaded)
        self.classify.request_frame.connect(w.classify_frame)
        self.classify.request_file.connect(w.classify_file)
        self.classify.request_model.connect(w.load_model)
        self.classify.request_hands_reset.connect(w.reset_hands)
        self.classify_tab.heatmap.request.connect(w.set_heatmap)
        self.train_tab.results.explain_requested.connect(w.explain_image)
        w.explained.connect(self.train_tab.results.show_explanation)
        self.collect_tab.controller.request_hand.connect(w.find_hand)
        w.hand_ready.connect(self.collect_tab.controller.on_hand)
        w.hands_failed.connect(self._hands_failed)
        w.progress.connect(self._progress)
        self.devices.devices_found.connect(self._devices_found)
        w.model_loaded.connect(self._model_loaded)
        w.summary_ready.connect(self._summary_ready)
        self.tabs.currentChanged.connect(self._tab_shown)
        w.result_ready.connect(self.classify.on_result)
        w.errored.connect(self._worker_error)
        w.finished.connect(self.classify.on_worker_finished)
        self._wire_inside(w)
        self.worker_thread = start_worker(w, "inference")
        self._requests.start.emit()
        self._warn_if_user_dir_unusable()
        path = self.initial_model_path()
        if path.exists():
            self.classify.load_model(path)
        else:
            self._worker_error(_missing_model_error(path))
            self._requests.describe.emit()
        if self.start_source:
            self.classify_tab.start_last_source()
        self.frames.list_cameras_async()
        self._tab_shown()

    def _tab_shown(self, *_) -> None:
        """What a tab needs from TensorFlow is fetched in the background the first time the tab is shown."""
        shown = self.tabs.currentWidget()
        if shown is self.train_tab:
            self.devices.request()
        elif shown is self.model_tab and self.report is not None and not self.report.summary:
            self._requests.summary.emit()  # the LiteRT engine has no Keras model: load it for the table

    def _wire_inside(self, w: InferenceWorker) -> None:
        """The Inside tab looks at each crop the Classify tab had classified, on the worker's thread."""
        inside = self.inside_tab.controller
        w.result_ready.connect(inside.on_classified)
        w.model_loaded.connect(inside.on_model_loaded)
        inside.request_features.connect(w.compute_features)
        w.features_ready.connect(inside.on_features)
        w.finished.connect(inside.on_worker_finished)

    def _progress(self, text: str) -> None:
        self.model_status.setText(text)
        self.model_tab.show_loading(text)

    def _devices_found(self, devices: list) -> None:
        self.backend_loaded = True
        self.train_tab.set_devices(devices)

    def _summary_ready(self, report) -> None:
        """The Keras summary (of the model in use, or the bare architecture when there is none)."""
        if report.trained and (self.report is None or report.path != self.report.path):
            return  # for a model that has been replaced since
        if report.trained:
            self.report = report
        self.model_tab.show_report(report)
        self._show_model()  # the status line named the loading; it names the model again

    def _model_loaded(self, report) -> None:
        self.report = report
        self.model_error = None
        self.classify.on_model_loaded(report)
        self.model_tab.show_report(report)
        self.train_tab.set_current_model(report.path, report.class_names)
        self.collect_tab.set_classes(report.class_names)
        self._show_model()
        freeze_heap()  # the model and everything start-up loaded stay; full collections skip them
        self.model_ready.emit(report)
        self._tab_shown()

    def _show_model(self) -> None:
        if self.report is None:
            self.model_status.setText("No model loaded")
        else:
            self.model_status.setText(f"Model: {self.report.title} · {len(self.report.class_names)} classes")

    def _worker_error(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        self.model_error = text
        self.classify.on_model_error(exc)
        self._show_model()
        self.show_status(text)
        self.model_failed.emit(text)

    def _warn_if_user_dir_unusable(self) -> None:
        """Classifying still works without the user folder; saving does not: say so once, without blocking."""
        from core.paths import user_dir_problem

        self.user_dir_problem = user_dir_problem()
        if self.user_dir_problem is None:
            return
        log.warning("user data folder unusable: %s", self.user_dir_problem)
        box = QMessageBox(QMessageBox.Icon.Warning, "Data folder not writable",
                          f"Your data folder {self.user_dir_problem}.\n\nClassifying works, but settings, snapshots, "
                          "captured samples and trained models cannot be saved there this session. Set "
                          "HANDSIGN_HOME to a folder you can write to, or fix the folder's permissions.", parent=self)
        box.setModal(False)
        box.show()
        self.user_dir_box = box
        label = QLabel("Data folder not writable: nothing will be saved this session")
        label.setStyleSheet("color: #b71c1c; font-weight: bold")
        label.setToolTip(self.user_dir_problem)
        self.statusBar().insertPermanentWidget(0, label)  # permanent: status messages never hide it
        self.user_dir_label = label

    # ------------------------------------------------------------------ finding the hand
    def set_find_hand(self, on: bool) -> None:
        """Find the hand (on) or classify and save the user's box (off), in every tab."""
        self.find_hand_action.setChecked(bool(on))  # toggled -> _find_hand_toggled when it changes
        self._find_hand_toggled(bool(on))

    def _find_hand_toggled(self, on: bool) -> None:
        """The user's choice (Ctrl+H, the menu, a tab's button, the saved setting): every tab follows it."""
        self.find_hand_wanted = bool(on)
        self.classify_tab.set_find_hand(on)
        self.collect_tab.set_find_hand(on)

    def _hands_failed(self, exc) -> None:
        """The hand models did not load: off for this session, said once, the user's box from now on."""
        text = f"Hand finding is off: {exc}"
        log.warning("%s", text)
        wanted = self.find_hand_wanted
        self.find_hand_action.setChecked(False)
        self.find_hand_wanted = wanted  # the saved choice stays: a repaired install finds hands again
        self.show_status(text + " (classifying the box you place)", 0)
        if self.hands_box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Hand finding unavailable",
                          f"{text}.\n\nThe app keeps running: it classifies and saves the box you place. "
                          "Reinstall the app to repair its hand models, then switch Find hand on (Ctrl+H).",
                          parent=self)
        box.setModal(False)
        box.show()
        self.hands_box = box

    # ------------------------------------------------------------------ actions
    def show_status(self, text: str, ms: int = 8000) -> None:
        self.statusBar().showMessage(text, ms)

    def start_selected_camera(self) -> None:
        self.tabs.setCurrentWidget(self.classify_tab)
        self.classify_tab.start_selected_camera()

    def use_model(self, path: str) -> None:
        self.classify.load_model(path)
        self.tabs.setCurrentWidget(self.classify_tab)

    def toggle_full_screen(self) -> None:
        if self.presenter.active:
            self.presenter.leave()  # back to the window as it was before presenter mode
            return
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _step_tab(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def _start_training(self) -> None:
        self.tabs.setCurrentWidget(self.train_tab)
        self.train_tab.start_training()

    def _show_training_running(self, running: bool) -> None:
        self.start_training_action.setEnabled(not running)
        self.pause_training_action.setEnabled(running)
        self.stop_training_action.setEnabled(running)

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event):  # noqa: N802
        if self.closed_cleanly:
            event.accept()
            return
        event.ignore()
        if self.closing:
            return
        self.closing = True
        self.close_deadline = time.perf_counter() + 60  # then shutdown() waits for what is left
        for tab in self.all_tabs:
            if tab.busy():
                tab.request_stop()
        self.frames.shutdown()
        if self.train_tab.busy():  # it ends within a batch, then evaluates and saves its model
            self.show_status("Stopping training: finishing the batch and saving the model…", 0)
            self.train_tab.training_running.connect(self._training_running)
        if self.exporter.running:  # a converter cannot be interrupted: wait for it without blocking the window
            self.show_status("Finishing the export before closing…", 0)
            self.exporter.done.connect(lambda _ok: QTimer.singleShot(0, self._finish_close))
        self._finish_close()

    def _training_running(self, running: bool) -> None:
        if not running:
            QTimer.singleShot(0, self._finish_close)  # after the Train tab has handled the end itself

    def _finish_close(self) -> None:
        """Close once nothing is left running; a training or an export that ends calls this again, and a
        tab still busy (the residual-vs-plain run ends within a batch) is looked at again shortly.

        The settings are saved here, as the window goes: a save syncs the file to disk (QSettings
        fdatasyncs it twice), a wait the UI thread must not take while the window still shows a run ending.
        """
        if self.closed_cleanly or self.train_tab.busy() or self.exporter.running:
            return
        if any(tab.busy() for tab in self.all_tabs) and time.perf_counter() < self.close_deadline:
            QTimer.singleShot(100, self._finish_close)  # never wait on the UI thread
            return
        self.save_settings()
        self.shutdown()
        self.closed_cleanly = True
        self.close()
        self.closed.emit()

    def shutdown(self) -> None:
        """Stop the source, every tab's work and every worker thread, and wait for them (idempotent)."""
        self.frames.shutdown()
        for tab in self.all_tabs:
            tab.shutdown()
        self.exporter.shutdown()
        self.presenter.shutdown()
        self.devices.shutdown()
        if self.worker is not None:
            self.worker.join_background()  # a TensorFlow import under way ends first (it cannot be interrupted)
        stop_thread(self.worker_thread)
        self.worker_thread = None


def _missing_model_error(path: Path):
    from core.errors import ModelFileError
    from core.paths import shipped_model_path

    if path == shipped_model_path():
        return ModelFileError(f"the shipped model is missing ({path.name}); open a model with File ▸ Open model (Ctrl+M) "
                              "or train one on the Train tab")
    return ModelFileError(f"{path}: no such model file; open another with Ctrl+M")
