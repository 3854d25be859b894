"""The Train tab: choose data and settings, watch the network learn, keep the result.

Training runs in a :class:`~gui.workers.training.TrainWorker` on its own thread.  Batch
progress can arrive hundreds of times a second with a small model, so the tab
stores it and redraws the curves on a 10 Hz timer instead of per signal.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.training.process import TrainJob
from gui.settings import get_bool, get_float, get_int, get_str
from gui.threads import start_worker, stop_thread
from gui.widgets import BAD, GOOD, ConfusionMatrixView, ImageStrip, MessageBanner, big_font
from gui.workers.training import TrainWorker

log = logging.getLogger(__name__)

pg.setConfigOptions(antialias=True, background="w", foreground="#222")

DATASETS = [("SIGNS (data folder)", "signs"), ("My collected samples", "collected"), ("Another folder…", "folder")]


def format_eta(seconds: float) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class CurvePlot(pg.PlotWidget):
    """Per-batch training values (thin) plus per-epoch train and validation values (thick, markers)."""

    def __init__(self, title: str, ylabel: str):
        super().__init__()
        self.setTitle(f"<span style='font-size:16pt'>{title}</span>")
        self.setLabel("bottom", "epoch")
        self.setLabel("left", ylabel)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-10, 10), labelTextSize="12pt")
        self.batch = self.plot(pen=pg.mkPen("#9fb3c8", width=1), name="train (batch)")
        self.epoch_train = self.plot(pen=pg.mkPen("#1565c0", width=3), symbol="o", symbolSize=9,
                                     symbolBrush="#1565c0", name="train (epoch)")
        self.epoch_val = self.plot(pen=pg.mkPen("#e65100", width=3), symbol="s", symbolSize=9,
                                   symbolBrush="#e65100", name="validation")
        self.setMinimumHeight(200)

    def set_data(self, bx, by, ex, ey, vx, vy) -> None:
        self.batch.setData(bx, by)
        self.epoch_train.setData(ex, ey)
        self.epoch_val.setData(vx, vy)


class TrainTab(QWidget):
    use_model_requested = Signal(str)  # path of the trained model
    training_running = Signal(bool)
    status_message = Signal(str, int)  # a status-bar line and how long to show it (ms; 0: until replaced)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._wanted_device = "cpu"
        self.builder = None  # None: the notebook ResNet-50 (tests plug in a small model)
        self.current_model_path: Path | None = None  # the Classify tab's model, for fine-tuning
        self.current_model_classes: list[str] | None = None
        self.worker: TrainWorker | None = None
        self.thread = None
        self.running = False
        self.paused = False
        self.outcome = None
        self.custom_folder = ""
        self._dirty = False
        self._job: TrainJob | None = None
        self._started_at = 0.0
        self.reset_history()
        self._build()
        self.apply_preset("quick")
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.dataset_combo = QComboBox()
        for text, key in DATASETS:
            self.dataset_combo.addItem(text, key)
        self.dataset_path = QLabel()
        self.dataset_path.setWordWrap(True)
        self.dataset_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preset_combo = QComboBox()
        from core.training.presets import PRESETS

        labels = {"quick": "Quick (classroom, ~3 min)", "standard": "Standard", "notebook": "Notebook (2 epochs)",
                  "ship": "Ship (the shipped model's recipe)"}
        for key in PRESETS:
            self.preset_combo.addItem(labels.get(key, key.capitalize()), key)
        self.preset_combo.addItem("Custom", "custom")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1024)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(5)
        self.learning_rate.setRange(0.00001, 1.0)
        self.learning_rate.setSingleStep(0.0005)
        self.augment = QCheckBox("shift, rotate, flip, light")
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(0.0, 0.5)
        self.val_split.setSingleStep(0.05)
        self.val_split.setDecimals(2)
        self.val_split.setToolTip("Fraction of the training images held out for validation (when the data has no val split)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.max_per_class = QSpinBox()
        self.max_per_class.setRange(0, 100_000)
        self.max_per_class.setSpecialValueText("all")
        self.max_per_class.setToolTip("Use only this many training images per class (a faster demo); 0 = all")
        self.device_combo = QComboBox()
        self.set_devices(None)

        form = QFormLayout()
        form.addRow("Dataset", self.dataset_combo)
        form.addRow("", self.dataset_path)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Augmentation", self.augment)
        form.addRow("Validation split", self.val_split)
        form.addRow("Seed", self.seed)
        form.addRow("Images per class", self.max_per_class)
        form.addRow("Device", self.device_combo)

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.finetune_button = QPushButton("Fine-tune on my samples")
        self.finetune_button.setToolTip("Start from the current model and train a few epochs on your collected samples")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        box = QGroupBox("Data and settings")
        bl = QVBoxLayout(box)
        bl.addLayout(form)
        bl.addLayout(buttons)
        bl.addWidget(self.finetune_button)
        bl.addStretch(1)
        box.setFixedWidth(390)

        # Live view
        self.banner = MessageBanner()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setMinimumHeight(30)
        self.epoch_label = QLabel("Epoch – · batch –")
        self.rate_label = QLabel("– images/s · ETA –")
        self.epoch_label.setFont(big_font(self, 20, bold=True))
        self.rate_label.setFont(big_font(self, 20))
        status_row = QHBoxLayout()
        status_row.addWidget(self.epoch_label)
        status_row.addStretch(1)
        status_row.addWidget(self.rate_label)
        self.loss_plot = CurvePlot("Loss", "cross-entropy")
        self.acc_plot = CurvePlot("Accuracy", "accuracy")
        self.acc_plot.setYRange(0, 1.02)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.acc_plot)
        self.strip_title = QLabel("Validation images: the network's guess after each epoch")
        self.strip_title.setFont(big_font(self, 15, bold=True))
        self.strip = ImageStrip(64)
        self.strip.empty_text = "Validation images appear here when training starts"

        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.results = QWidget()
        self.test_label = QLabel("Test accuracy appears when training ends")
        self.test_label.setFont(big_font(self, 26, bold=True))
        self.test_label.setWordWrap(True)  # keeps the tab usable on a 1366-px-wide classroom laptop
        self.confusion = ConfusionMatrixView()
        self.wrong_title = QLabel("Misclassified test images")
        self.wrong = ImageStrip(64)
        self.wrong.empty_text = "none yet"
        wrong_scroll = QScrollArea()
        wrong_scroll.setWidgetResizable(True)
        wrong_scroll.setWidget(self.wrong)
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Switch the Classify tab to the model just trained")
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Write the model and its run card (JSON) where you choose")
        for b in (self.use_button, self.save_button):
            b.setEnabled(False)
        rl = QHBoxLayout(self.results)
        left = QVBoxLayout()
        left.addWidget(self.test_label)
        left.addWidget(self.confusion, 1)
        right = QVBoxLayout()
        rtop = QHBoxLayout()  # the buttons beside the title, so the matrix keeps its height
        rtop.addWidget(self.wrong_title)
        rtop.addStretch(1)
        rtop.addWidget(self.use_button)
        rtop.addWidget(self.save_button)
        right.addLayout(rtop)
        right.addWidget(wrong_scroll, 1)
        rl.addLayout(left, 2)
        rl.addLayout(right, 3)
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.log_view, "Log")
        self.bottom_tabs.addTab(self.results, "Results")

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.banner)
        tl.addWidget(self.progress)
        tl.addLayout(status_row)
        tl.addLayout(plots, 1)
        tl.addWidget(self.strip_title)
        tl.addWidget(self.strip)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.bottom_tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)  # never squeeze the curves below their minimum height
        # The curves and the strip need about 420 px; the log is fine with less (it scrolls).  Without
        # this a 860 px window gave the log half the height and the strip title landed on the x axis.
        self.strip.setMinimumHeight(64 + 34)
        self.bottom_tabs.setMinimumHeight(150)
        split.setSizes([3000, 1000])
        self.bottom_tabs.currentChanged.connect(self._bottom_tab_changed)

        root = QHBoxLayout(self)
        root.addWidget(box)
        root.addWidget(split, 1)

        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        for w in (self.epochs, self.batch_size, self.learning_rate, self.val_split):
            w.valueChanged.connect(self._edited)
        self.augment.toggled.connect(self._edited)
        self.dataset_combo.activated.connect(self._dataset_chosen)
        self.start_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.finetune_button.clicked.connect(self.start_finetune)
        self.use_button.clicked.connect(self._use_model)
        self.save_button.clicked.connect(self._save_as_dialog)
        self._set_running(False)

    # ------------------------------------------------------------------ settings
    def restore_settings(self, s) -> None:
        self.custom_folder = get_str(s, "train/folder", "")
        self._wanted_device = get_str(s, "train/device", "cpu")
        preset = get_str(s, "train/preset", "quick")
        i = self.preset_combo.findData(preset)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(max(0, i))
        self.preset_combo.blockSignals(False)
        self.apply_preset(preset if preset != "custom" else "quick", keep_custom=True)
        if preset == "custom":
            self.epochs.setValue(get_int(s, "train/epochs", self.epochs.value()))
            self.batch_size.setValue(get_int(s, "train/batch_size", self.batch_size.value()))
            self.learning_rate.setValue(get_float(s, "train/learning_rate", self.learning_rate.value()))
            self.augment.setChecked(get_bool(s, "train/augment", self.augment.isChecked()))
            self.val_split.setValue(get_float(s, "train/val_split", self.val_split.value()))
        self.seed.setValue(get_int(s, "train/seed", 0))
        self.max_per_class.setValue(get_int(s, "train/max_per_class", 0))
        ds = get_str(s, "train/dataset", "signs")
        j = self.dataset_combo.findData(ds)
        self.dataset_combo.setCurrentIndex(max(0, j))
        self._show_dataset_path()

    def save_settings(self, s) -> None:
        s.setValue("train/preset", self.preset_combo.currentData())
        s.setValue("train/epochs", self.epochs.value())
        s.setValue("train/batch_size", self.batch_size.value())
        s.setValue("train/learning_rate", self.learning_rate.value())
        s.setValue("train/augment", self.augment.isChecked())
        s.setValue("train/val_split", self.val_split.value())
        s.setValue("train/seed", self.seed.value())
        s.setValue("train/max_per_class", self.max_per_class.value())
        s.setValue("train/dataset", self.dataset_combo.currentData())
        s.setValue("train/folder", self.custom_folder)
        s.setValue("train/device", self.device_combo.currentData() or "cpu")

    def _bottom_tab_changed(self, index: int) -> None:
        """Results (confusion matrix, mistakes) get about 320 px; the log scrolls in 1/4 of the height."""
        total = sum(self.split.sizes())
        if total <= 0:
            return
        bottom = 320 if index == 1 else total // 4
        self.split.setSizes([max(1, total - bottom), bottom])

    def apply_preset(self, name: str, keep_custom: bool = False) -> None:
        from core.training.presets import settings_for

        st = settings_for(name)
        self._applying = True
        self.epochs.setValue(st.epochs)
        self.batch_size.setValue(st.batch_size)
        self.learning_rate.setValue(st.learning_rate)
        self.augment.setChecked(st.augment)
        self.val_split.setValue(st.val_split)
        self._applying = False

    def _preset_chosen(self, _index) -> None:
        key = self.preset_combo.currentData()
        if key != "custom":
            self.apply_preset(key)

    def _edited(self, *_):
        if getattr(self, "_applying", False):
            return
        i = self.preset_combo.findData("custom")
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(i)
        self.preset_combo.blockSignals(False)

    def train_settings(self):
        from core.training.presets import settings_for

        preset = self.preset_combo.currentData()
        return settings_for(
            "standard" if preset == "custom" else preset,
            epochs=self.epochs.value(), batch_size=self.batch_size.value(),
            learning_rate=float(self.learning_rate.value()), augment=self.augment.isChecked(),
            val_split=float(self.val_split.value()), seed=self.seed.value(),
            device=self.device_combo.currentData() or "cpu",
        )

    def set_devices(self, devices) -> None:
        """Fill the device list; GPUs TensorFlow does not see are shown disabled with a reason."""
        self.device_combo.clear()
        self.device_combo.addItem("CPU", "cpu")
        gpus = [d for d in (devices or []) if d.startswith("gpu")]
        for d in gpus:
            self.device_combo.addItem(f"GPU {d.split(':')[1]}", d)
        if not gpus:
            self.device_combo.addItem("GPU" if devices is not None else "GPU (checking…)", None)
            item = self.device_combo.model().item(self.device_combo.count() - 1)
            item.setEnabled(False)
            tip = ("TensorFlow sees no GPU on this machine, so training runs on the CPU"
                   if devices is not None else "Looking for GPUs while TensorFlow loads…")
            item.setToolTip(tip)
            self.device_combo.setItemData(self.device_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        i = self.device_combo.findData(self._wanted_device)
        self.device_combo.setCurrentIndex(i if i >= 0 else 0)

    def dataset_source(self) -> tuple[str, str]:
        """(path, kind) of the chosen dataset."""
        from core.paths import collected_dir, resolve_data

        key = self.dataset_combo.currentData()
        if key == "collected":
            return str(collected_dir()), "folders"
        if key == "folder":
            return self.custom_folder, "auto"
        return str(resolve_data("signs")), "auto"

    def _show_dataset_path(self) -> None:
        path, _ = self.dataset_source()
        self.dataset_path.setText(path or "(choose a folder)")

    def _dataset_chosen(self, _index) -> None:
        if self.dataset_combo.currentData() == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Dataset folder (one sub-folder per class)", self.custom_folder)
            if folder:
                self.custom_folder = folder
        self._show_dataset_path()

    # ------------------------------------------------------------------ running
    def reset_history(self) -> None:
        self.bx, self.bloss, self.bacc = [], [], []
        self.ex, self.eloss, self.eacc = [], [], []
        self.vx, self.vloss, self.vacc = [], [], []
        self.batches_seen = 0
        self.epochs_seen = 0
        self.last_progress = None
        self.strip_labels: list[int] = []
        self._strip_picks: list[int] = []
        self.class_names: list[str] = []

    def _ensure_worker(self) -> None:
        if self.worker is None:
            self.worker = TrainWorker()
            self.worker.started.connect(self.on_started)
            self.worker.dataset_ready.connect(self.on_dataset)
            self.worker.progress.connect(self.on_batch)
            self.worker.epoch_ended.connect(self.on_epoch)
            self.worker.logged.connect(self.append_log)
            self.worker.errored.connect(self.on_error)
            self.worker.finished.connect(self.on_finished)
            self.thread = start_worker(self.worker, "training")
            self._run_job = _JobSender()
            self._run_job.job.connect(self.worker.run)

    def start_training(self) -> bool:
        from core.errors import HandSignError

        path, kind = self.dataset_source()
        if not path:
            self.show_error("choose a dataset folder first")
            return False
        try:
            settings = self.train_settings()
        except HandSignError as exc:
            self.show_error(str(exc))
            return False
        settings.preset = self.preset_combo.currentData()
        return self.run_job(TrainJob(path, settings, self._out_path("run"), kind=kind,
                                     max_per_class=self.max_per_class.value(), builder=self.builder,
                                     title="training"))

    def start_finetune(self) -> bool:
        from core.paths import collected_dir
        from core.training.presets import settings_for

        if self.current_model_path is None or not Path(self.current_model_path).exists():
            self.show_error("fine-tuning starts from the current model: load one first (Ctrl+M)")
            return False
        folder = collected_dir()
        if not folder.is_dir() or not any(p.is_dir() and any(p.iterdir()) for p in folder.iterdir()):
            self.show_error(f"no collected samples yet in {folder}: capture some on the Collect tab")
            return False
        settings = settings_for("quick", epochs=min(self.epochs.value(), 5), learning_rate=1e-4,
                                batch_size=min(self.batch_size.value(), 16), val_split=0.15, val_per_class=0,
                                seed=self.seed.value(), device=self.device_combo.currentData() or "cpu")
        settings.preset = "fine-tune"
        return self.run_job(TrainJob(str(folder), settings, self._out_path("finetune"), kind="folders",
                                     classes=self.current_model_classes, initial_model=Path(self.current_model_path),
                                     title="fine-tuning"))

    def _out_path(self, prefix: str) -> Path:
        from core.paths import models_dir

        folder = models_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.keras"

    def run_job(self, job: TrainJob) -> bool:
        if self.running:
            return False
        self._ensure_worker()
        self.reset_history()
        self.outcome = None
        self._job = job
        self.banner.hide()
        self.use_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.test_label.setText("Test accuracy appears when training ends")
        self.confusion.set_matrix(np.zeros((0, 0)), [])
        self.wrong.set_items([], [])
        self.strip.set_items([], [])
        self.bottom_tabs.setCurrentIndex(0)
        self.progress.setRange(0, 0)  # busy while the data loads
        self.progress.setFormat("loading data…")
        self.epoch_label.setText("Loading data…")
        self.rate_label.setText("– images/s · ETA –")
        self._dirty = True
        self._started_at = time.monotonic()
        self._set_running(True)
        self._run_job.job.emit(job)
        return True

    def toggle_pause(self) -> None:
        if not self.running or self.worker is None:
            return
        self.paused = not self.paused
        if self.paused:
            self.worker.pause()
            self.pause_button.setText("Resume")
            self.epoch_label.setText(self.epoch_label.text() + " · paused")
        else:
            self.worker.resume()
            self.pause_button.setText("Pause")

    def stop_training(self) -> None:
        if self.running and self.worker is not None:
            self.worker.stop()
            self.append_log("stop requested: finishing the current batch, then evaluating and saving…")
            self.stop_button.setEnabled(False)
            self.pause_button.setEnabled(False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        if not running:
            self.paused = False
        self.start_button.setEnabled(not running)
        self.finetune_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.stop_button.setEnabled(running)
        for w in (self.dataset_combo, self.preset_combo, self.epochs, self.batch_size, self.learning_rate,
                  self.augment, self.val_split, self.seed, self.max_per_class, self.device_combo):
            w.setEnabled(not running)
        self.training_running.emit(running)

    # ------------------------------------------------------------------ worker signals
    def on_dataset(self, info) -> None:
        self.class_names = list(info.class_names)
        self.strip_labels = list(info.strip_labels)
        self._strip_picks = list(info.strip_index)
        self.strip.set_items(list(info.strip_images), [f"{self.class_names[lab]} → ?" for lab in info.strip_labels])

    def on_started(self, info: dict) -> None:
        self.progress.setRange(0, max(1, info["epochs"] * info["steps_per_epoch"]))
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        self.epoch_label.setText(f"Epoch 1 / {info['epochs']} · batch 0 / {info['steps_per_epoch']}")

    def on_batch(self, p) -> None:
        self.last_progress = p
        self.batches_seen += 1
        x = (p.epoch - 1) + p.batch / max(1, p.batches)
        self.bx.append(x)
        self.bloss.append(p.loss)
        self.bacc.append(p.accuracy)
        self._dirty = True

    def on_epoch(self, m) -> None:
        self.epochs_seen += 1
        self.ex.append(m.epoch)
        self.eloss.append(m.loss)
        self.eacc.append(m.accuracy)
        if m.val_loss is not None:
            self.vx.append(m.epoch)
            self.vloss.append(m.val_loss)
            self.vacc.append(m.val_accuracy)
        if m.val_predictions is not None and self.strip.items and self._job is not None:
            picks = self._strip_picks
            preds = [m.val_predictions[i] for i in picks if i < len(m.val_predictions)]
            if len(preds) == len(self.strip_labels):
                caps = [f"{self.class_names[t]} → {self.class_names[p]}" for t, p in zip(self.strip_labels, preds, strict=True)]
                cols = [GOOD if t == p else BAD for t, p in zip(self.strip_labels, preds, strict=True)]
                self.strip.set_captions(caps, cols)
        self._dirty = True

    def append_log(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    def on_error(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        self.show_error(f"Training failed: {text}")
        self.append_log(f"error: {text}")

    def on_finished(self, outcome) -> None:
        self._set_running(False)
        self.outcome = outcome
        self._redraw(force=True)
        self.progress.setRange(0, 100)
        if outcome is None:
            self.progress.setValue(0)
            self.progress.setFormat("not trained")
            self.epoch_label.setText("Not trained")
            return
        r = outcome.result
        self.progress.setValue(100)
        self.progress.setFormat("stopped" if r.status == "stopped" else "done")
        self.epoch_label.setText(f"{'Stopped' if r.status == 'stopped' else 'Done'} after {len(r.history)} epoch(s) "
                                 f"in {format_eta(time.monotonic() - self._started_at)}")
        acc = outcome.test_accuracy
        if acc is not None:
            self.test_label.setText(f"Test accuracy {acc:.1%} <span style='font-size:13pt; font-weight:normal'>"
                                    f"on {r.test_report['n']} images</span>")
            self.confusion.set_matrix(r.test_report["confusion_matrix"], outcome.class_names)
        else:
            self.test_label.setText("No test images in this dataset")
        n_wrong = len(outcome.wrong_true)
        self.wrong_title.setText(f"Misclassified test images ({n_wrong})")
        shown = min(n_wrong, 96)
        self.wrong.set_items(list(outcome.wrong_images[:shown]),
                             [f"{t} → {p}" for t, p in zip(outcome.wrong_true[:shown], outcome.wrong_pred[:shown], strict=True)],
                             [BAD] * shown)
        self.wrong.empty_text = "no mistakes on the test set"
        has_model = r.model_path is not None and Path(r.model_path).exists()
        self.use_button.setEnabled(has_model)
        self.save_button.setEnabled(has_model)
        self.bottom_tabs.setCurrentIndex(1)

    # ------------------------------------------------------------------ drawing
    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force):
            return
        self._dirty = False
        self.loss_plot.set_data(self.bx, self.bloss, self.ex, self.eloss, self.vx, self.vloss)
        self.acc_plot.set_data(self.bx, self.bacc, self.ex, self.eacc, self.vx, self.vacc)
        p = self.last_progress
        if p is not None and self.running:
            done = (p.epoch - 1) * p.batches + p.batch
            self.progress.setRange(0, p.epochs * p.batches)
            self.progress.setValue(done)
            paused = " · paused" if self.paused else ""
            self.epoch_label.setText(f"Epoch {p.epoch} / {p.epochs} · batch {p.batch} / {p.batches}{paused}")
            self.rate_label.setText(f"{p.images_per_second:.0f} images/s · ETA {format_eta(p.eta_seconds)}")

    # ------------------------------------------------------------------ results
    def _use_model(self) -> None:
        if self.outcome is not None and self.outcome.result.model_path:
            self.use_model_requested.emit(str(self.outcome.result.model_path))

    def _save_as_dialog(self) -> None:
        if self.outcome is None or not self.outcome.result.model_path:
            return
        src = Path(self.outcome.result.model_path)
        dst, _ = QFileDialog.getSaveFileName(self, "Save model as", str(Path.home() / src.name), "Keras model (*.keras)")
        if dst:
            self.save_model_as(dst)

    def save_model_as(self, dst) -> Path | None:
        """Copy the trained model to ``dst`` (``.keras``) with its run card next to it."""
        from core.errors import HandSignError
        from core.model.files import atomic_write_json, copy_model

        dst = Path(dst)
        if dst.suffix != ".keras":
            dst = dst.with_suffix(".keras")
        try:
            copy_model(self.outcome.result.model_path, dst)
            atomic_write_json(dst.with_suffix(".json"), self.outcome.result.run_card)
        except (HandSignError, OSError) as exc:
            self.show_error(str(exc))
            return None
        self.append_log(f"saved {dst} and {dst.with_suffix('.json').name}")
        self.status_message.emit(f"Saved {dst}", 8000)
        return dst

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, kind="error")

    def set_current_model(self, path: Path | None, class_names) -> None:
        """The Classify tab's model: what "Fine-tune on my samples" starts from."""
        self.current_model_path = path
        self.current_model_classes = list(class_names)

    # ------------------------------------------------------------------ shutdown
    def busy(self) -> bool:
        return self.running

    def request_stop(self) -> None:
        self.stop_training()

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Stop a running training (it ends within a batch and saves), then end the thread and the redraw timer."""
        self._timer.stop()
        if self.worker is not None:
            self.worker.stop()
        ok = stop_thread(self.thread, timeout_ms)
        self.thread = None
        return ok


class _JobSender(QObject):
    """Hands a job to the worker's thread through a queued signal."""

    job = Signal(object)
