"""The main window: four tabs, menus and shortcuts, start-up and an orderly shutdown.

Start-up shows the window first; TensorFlow is imported and the model loaded
on the inference worker's thread afterwards (``start_background``), with the
progress in the status bar.  Closing stops the camera, asks a running training
to stop (it ends within a batch and still saves its model), then ends every
worker thread and waits for it.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget

from gui.settings import get_bool, get_int, get_str, open_settings
from gui.sources import FrameService
from gui.tabs.classify import ClassifyController, ClassifyTab
from gui.tabs.collect import CollectTab
from gui.tabs.model import ModelTab
from gui.tabs.train import TrainTab
from gui.threads import keep_ui_responsive, start_worker, stop_thread
from gui.workers.inference import InferenceWorker

log = logging.getLogger(__name__)

TABS = ("Classify", "Train", "Model", "Collect")


class _Requests(QObject):
    """Queued requests from the UI thread to the inference worker."""

    start = Signal()
    describe = Signal()


class MainWindow(QMainWindow):
    model_ready = Signal(object)  # ModelReport, after every successful load

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
        self.backend_loaded = False
        self.model_error: str | None = None
        self.closing = False
        self.closed_cleanly = False
        self.user_dir_problem: str | None = None
        self.user_dir_box = None
        self.user_dir_label = None
        self.t_created = time.perf_counter()

        self.frames = FrameService(self, camera_factory=camera_factory)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.classify_tab = ClassifyTab()
        self.classify = ClassifyController(self.classify_tab, self.frames, self)
        self.classify_tab.bind(self.classify)
        self.train_tab = TrainTab()
        self.model_tab = ModelTab()
        self.collect_tab = CollectTab(self.frames)
        for w, name in zip((self.classify_tab, self.train_tab, self.model_tab, self.collect_tab), TABS, strict=True):
            self.tabs.addTab(w, name)
        self.setCentralWidget(self.tabs)
        self.model_status = QLabel("Starting…")
        self.statusBar().addPermanentWidget(self.model_status)

        self._make_actions()
        self._wire()
        self._restore_settings()

    # ------------------------------------------------------------------ construction
    def _make_actions(self) -> None:
        def act(text, shortcut, slot, menu, tip=""):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(slot)
            menu.addAction(a)
            self.addAction(a)
            return a

        m = self.menuBar().addMenu("&File")
        self.open_images_action = act("Open images…", "Ctrl+O", self.ask_open_images, m)
        act("Open folder of images…", "Ctrl+Shift+O", self.ask_open_folder, m)
        act("Open video…", "Ctrl+Shift+V", self.ask_open_video, m)
        act("Open model…", "Ctrl+M", self.ask_open_model, m)
        m.addSeparator()
        self.snapshot_action = act("Save snapshot", "Ctrl+S", lambda: self.classify.snapshot(), m)
        m.addSeparator()
        act("Quit", "Ctrl+Q", self.close, m)
        v = self.menuBar().addMenu("&View")
        for i, name in enumerate(TABS):
            act(name, f"Ctrl+{i + 1}", lambda _=False, i=i: self.tabs.setCurrentIndex(i), v)
        v.addSeparator()
        act("Full screen", "F11", self.toggle_full_screen, v)
        c = self.menuBar().addMenu("&Classify")
        self.pause_action = act("Pause / resume", "Space", self.classify.toggle_pause, c)
        act("Next image", "PgDown", self.classify.next_image, c)
        act("Previous image", "PgUp", self.classify.previous_image, c)
        act("Centre the region", "Ctrl+R", self.classify.reset_region, c)
        act("Start camera", "Ctrl+K", self.start_selected_camera, c)

    def _wire(self) -> None:
        self.classify_tab.open_images_requested.connect(self.ask_open_images)
        self.classify_tab.open_folder_requested.connect(self.ask_open_folder)
        self.classify_tab.open_video_requested.connect(self.ask_open_video)
        self.classify_tab.open_model_requested.connect(self.ask_open_model)
        self.classify_tab.refresh_button.clicked.connect(self.frames.list_cameras_async)
        self.frames.cameras_listed.connect(self._cameras_listed)
        self.classify.sample_saved.connect(lambda *_: self.collect_tab.refresh_counts())
        self.classify.sample_saved.connect(lambda *_: self.collect_tab.refresh_thumbnails())
        self.train_tab.use_model_requested.connect(self.use_model)
        self.train_tab.status_message.connect(self.show_status)
        self.collect_tab.start_camera_requested.connect(self.start_selected_camera)

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
        self.classify_tab.threshold_slider.setValue(get_int(s, "classify/threshold", 60))
        self.classify_tab.smoothing_slider.setValue(get_int(s, "classify/smoothing", 3))
        self.frames.mirror_camera = get_bool(s, "camera/mirror", True)
        self.camera_index = get_int(s, "camera/index", 0)
        self.collect_tab.target.setValue(get_int(s, "collect/target", 20))
        self.train_tab.restore_settings(s)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/size", self.size())
        s.setValue("window/tab", self.tabs.currentIndex())
        s.setValue("classify/threshold", self.classify_tab.threshold_slider.value())
        s.setValue("classify/smoothing", self.classify_tab.smoothing_slider.value())
        s.setValue("camera/index", self.camera_index)
        s.setValue("camera/mirror", self.frames.mirror_camera)
        mode = self.classify.mode
        s.setValue("classify/source", mode if mode != "none" else get_str(s, "classify/source", "camera"))
        if mode == "video" and self.frames.video_path:
            s.setValue("classify/video", str(self.frames.video_path))
        if mode == "images" and self.classify.files:
            s.setValue("classify/images", [str(p) for p in self.classify.files[:2000]])
            s.setValue("classify/image_index", self.classify.file_index)
        if self.classify.model_path:
            s.setValue("model/path", str(self.classify.model_path))
        s.setValue("collect/target", self.collect_tab.target.value())
        self.train_tab.save_settings(s)
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
        self.worker = InferenceWorker()
        w = self.worker
        self._requests = _Requests()
        self._requests.start.connect(w.start)
        self._requests.describe.connect(w.describe_architecture)
        self.classify.request_frame.connect(w.classify_frame)
        self.classify.request_file.connect(w.classify_file)
        self.classify.request_model.connect(w.load_model)
        w.progress.connect(self._progress)
        w.devices_found.connect(self.train_tab.set_devices)
        w.started.connect(self._backend_started)
        w.model_loaded.connect(self._model_loaded)
        w.summary_ready.connect(self.model_tab.show_report)
        w.result_ready.connect(self.classify.on_result)
        w.errored.connect(self._worker_error)
        w.finished.connect(self.classify.on_worker_finished)
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
            self.restore_source()
        self.frames.list_cameras_async()

    def restore_source(self) -> None:
        s = self.settings
        source = get_str(s, "classify/source", "camera")
        if source == "video" and Path(get_str(s, "classify/video", "")).is_file():
            self.classify.open_video(get_str(s, "classify/video", ""))
        elif source == "images":
            files = [p for p in (s.value("classify/images") or []) if Path(p).exists()]
            if isinstance(s.value("classify/images"), str):
                files = [s.value("classify/images")]
            if files:
                self.classify.open_paths(files)
                self.classify.show_file(get_int(s, "classify/image_index", 0))
                return
            self.classify.start_camera(self.camera_index)
        else:
            self.classify.start_camera(self.camera_index)

    def _progress(self, text: str) -> None:
        self.model_status.setText(text)
        self.model_tab.show_loading(text)

    def _backend_started(self) -> None:
        self.backend_loaded = True

    def _model_loaded(self, report) -> None:
        self.report = report
        self.model_error = None
        self.classify.on_model_loaded(report)
        self.model_tab.show_report(report)
        self.train_tab.set_current_model(report.path, report.class_names)
        self.collect_tab.set_classes(report.class_names)
        self.model_status.setText(f"Model: {report.title}")
        self.model_ready.emit(report)

    def _worker_error(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        self.model_error = text
        self.classify.on_model_error(exc)
        self.model_status.setText("No model loaded" if self.report is None else f"Model: {self.report.title}")
        self.show_status(text)

    def _cameras_listed(self, cameras) -> None:
        self.classify_tab.set_cameras(cameras, self.camera_index)

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

    # ------------------------------------------------------------------ actions
    def show_status(self, text: str, ms: int = 8000) -> None:
        self.statusBar().showMessage(text, ms)

    def start_selected_camera(self) -> None:
        index = self.classify_tab.camera_combo.currentData()
        self.camera_index = self.camera_index if index is None else int(index)
        self.tabs.setCurrentIndex(self.tabs.currentIndex())
        self.classify.start_camera(self.camera_index)

    def use_model(self, path: str) -> None:
        self.classify.load_model(path)
        self.tabs.setCurrentIndex(0)

    def ask_open_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open images", "", "Images (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp);;All files (*)")
        if files:
            self.tabs.setCurrentIndex(0)
            self.classify.open_paths(files)

    def ask_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if folder:
            self.tabs.setCurrentIndex(0)
            self.classify.open_paths([folder])

    def ask_open_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", "Videos (*.avi *.mp4 *.mov *.mkv *.webm *.m4v);;All files (*)")
        if path:
            self.tabs.setCurrentIndex(0)
            self.classify.open_video(path)

    def ask_open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "Keras model (*.keras)")
        if path:
            self.classify.load_model(path)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event):  # noqa: N802
        if self.closed_cleanly:
            event.accept()
            return
        event.ignore()
        if self.closing:
            return
        self.closing = True
        self.save_settings()
        self.collect_tab.cancel_burst()
        self.frames.shutdown()
        if self.train_tab.busy():
            self.train_tab.request_stop()
            self.show_status("Stopping training: finishing the batch and saving the model…", 0)
        self._finish_close()

    def _finish_close(self) -> None:
        if self.train_tab.busy():  # the worker ends within a batch, then evaluates and saves
            QTimer.singleShot(50, self._finish_close)
            return
        self.shutdown()
        self.closed_cleanly = True
        self.close()

    def shutdown(self) -> None:
        """Stop the source and every worker thread and wait for them (idempotent)."""
        self.frames.shutdown()
        self.train_tab.shutdown()
        stop_thread(self.worker_thread)
        self.worker_thread = None


def _missing_model_error(path: Path):
    from core.errors import ModelFileError
    from core.paths import shipped_model_path

    if path == shipped_model_path():
        return ModelFileError(f"the shipped model is missing ({path.name}); open a model with File ▸ Open model (Ctrl+M) "
                              "or train one on the Train tab")
    return ModelFileError(f"{path}: no such model file; open another with Ctrl+M")


def platform_name() -> str:
    return sys.platform
