"""The Train tab's left column: which data, which preset and settings, which device, and the run buttons.

Presets come from :mod:`core.training.presets`; editing any field switches the
preset to "Custom (from X)": the fields as edited, on top of preset X's hidden
settings (the quick preset's label smoothing and BatchNorm recount, the
notebook's initialisation …), so an edit changes only what it shows.  The
panel turns its fields into ``TrainSettings``
(:meth:`SettingsPanel.train_settings`, :meth:`SettingsPanel.finetune_settings`)
and remembers them in QSettings; starting and stopping are the controller's job.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from core.training.presets import PRESETS, settings_for
from gui.settings import get_bool, get_float, get_int, get_str
from gui.widgets import MUTED
from gui.wording import counted

DATASETS = [("SIGNS (data folder)", "signs"), ("My collected samples", "collected"), ("Another folder…", "folder")]
# The quick preset's time: 1 min 32 s end to end on a 2-core Intel Xeon, 1 min 55 s in the app (docs/model.md,
# "Precise BatchNorm"); the upper end allows for a slower CPU and the live view beside it (bench/README.md).
PRESET_LABELS = {"quick": "Quick (about 1½–3 min)", "standard": "Standard",
                 "notebook": "Notebook (2 epochs)", "ship": "Ship (the shipped model's recipe)"}
PRESET_TIPS = {"quick": "The classroom demo: about 1½–3 minutes on a 2-core CPU (the longer end while the camera "
                        "runs), less with more cores or a GPU"}
BUTTON_PRESETS = ("finetune",)  # run by "Fine-tune on my samples", not chosen from the list
ALL_GPUS = "all-gpus"  # the device list's "All GPUs" (shown with two or more): data-parallel training


class SettingsPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Data and settings", parent)
        self.custom_folder = ""  # the "Another folder…" dataset
        self._wanted_device = "cpu"  # from QSettings; chosen once the device list is known
        self._applying = False
        self._base = "quick"  # the preset the fields were last filled from: "Custom" keeps its hidden settings
        self._make_fields()
        self._make_buttons()
        self._lay_out()
        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        for w in (self.epochs, self.batch_size, self.learning_rate, self.val_split):
            w.valueChanged.connect(self._edited)
        self.augment.toggled.connect(self._edited)
        self.dataset_combo.activated.connect(self._dataset_chosen)
        self.set_devices(None)
        self.apply_preset("quick")
        self.set_running(False)

    def _make_fields(self) -> None:
        self.dataset_combo = QComboBox()
        for text, key in DATASETS:
            self.dataset_combo.addItem(text, key)
        self.dataset_path = QLabel()
        self.dataset_path.setWordWrap(True)
        self.dataset_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preset_combo = QComboBox()
        for key in PRESETS:
            if key not in BUTTON_PRESETS:
                self.preset_combo.addItem(PRESET_LABELS.get(key, key.capitalize()), key)
                if key in PRESET_TIPS:
                    self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESET_TIPS[key],
                                                  Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.addItem("Custom", "custom")
        self.epochs = _spin(1, 500)
        self.batch_size = _spin(1, 1024)
        self.learning_rate = _double_spin(0.00001, 1.0, step=0.0005, decimals=5)
        self.augment = QCheckBox("shift, rotate, flip, light")
        self.val_split = _double_spin(0.0, 0.5, step=0.05, decimals=2)
        self.val_split.setToolTip("Fraction of the training images held out for validation (when the data has no val split)")
        self.seed = _spin(0, 999_999)
        self.max_per_class = _spin(0, 100_000)
        self.max_per_class.setSpecialValueText("all")
        self.max_per_class.setToolTip("Use only this many training images per class (a faster demo); 0 = all")
        self.device_combo = QComboBox()

    def _make_buttons(self) -> None:
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.setToolTip("Start training (Ctrl+Enter)")
        self.pause_button.setToolTip("Pause or resume training (Ctrl+P)")
        self.stop_button.setToolTip("Stop after this batch, then evaluate and save (Ctrl+. or Shift+Esc)")
        self.finetune_button = QPushButton("Fine-tune on my samples")
        self.finetune_button.setToolTip("Start from the current model and train a few epochs on your collected samples")
        # While a fine-tune runs: its settings are its preset's, not the fields above (show_finetune).
        self.finetune_note = QLabel()
        self.finetune_note.setWordWrap(True)
        self.finetune_note.setStyleSheet(f"color: {MUTED.darker(150).name()}")
        self.finetune_note.hide()

    def _lay_out(self) -> None:
        form = QFormLayout()
        for label, w in (("Dataset", self.dataset_combo), ("", self.dataset_path), ("Preset", self.preset_combo),
                         ("Epochs", self.epochs), ("Batch size", self.batch_size),
                         ("Learning rate", self.learning_rate), ("Augmentation", self.augment),
                         ("Validation split", self.val_split), ("Seed", self.seed),
                         ("Images per class", self.max_per_class), ("Device", self.device_combo)):
            form.addRow(label, w)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.finetune_button)
        lay.addWidget(self.finetune_note)
        lay.addStretch(1)
        self.setFixedWidth(390)

    # -- presets -----------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        """Fill the visible fields from preset ``name`` (the preset list keeps its choice)."""
        st = settings_for(name)
        self._base = name
        self._show_custom_base()
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

    def _show_custom_base(self) -> None:
        i = self.preset_combo.findData("custom")
        name = self._base.capitalize()
        self.preset_combo.setItemText(i, f"Custom (from {name})")
        self.preset_combo.setItemData(i, f"The fields as you set them, with the {name} preset's other settings",
                                      Qt.ItemDataRole.ToolTipRole)

    def _edited(self, *_) -> None:
        if self._applying:
            return
        self._choose_preset_quietly("custom")

    def _choose_preset_quietly(self, key: str) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(key)))
        self.preset_combo.blockSignals(False)

    def train_settings(self):
        """The fields as ``TrainSettings``; a preset's hidden settings (init, schedule …) come along.

        "Custom" is the fields on the preset they were last filled from (``train/base_preset``)."""
        preset = self.preset_combo.currentData()
        return settings_for(
            self._base if preset == "custom" else preset,
            epochs=self.epochs.value(), batch_size=self.batch_size.value(),
            learning_rate=float(self.learning_rate.value()), augment=self.augment.isChecked(),
            val_split=float(self.val_split.value()), seed=self.seed.value(), **self.device_settings(),
        )

    def finetune_settings(self):
        """The ``finetune`` preset as ``handsign train --preset finetune`` runs it, on this panel's seed and device.

        The fields are for training anew; a fine-tune is one definition (core/training/presets.py).
        """
        return settings_for("finetune", seed=self.seed.value(), **self.device_settings())

    def show_finetune(self, st, epochs: int | None = None) -> None:
        """A fine-tune is running with settings ``st``: say so, since the locked fields show other ones.

        ``epochs``: the run's own count once it has started (many samples get fewer, ``max_steps``)."""
        count = f"{epochs or st.epochs} epochs"
        if not epochs and st.max_steps:
            count = "up to " + count
        self.finetune_note.setText(f"Fine-tuning with its own settings: {count}, batch {st.batch_size}, "
                                   f"learning rate {st.learning_rate:g}, from the current model. "
                                   "The fields above are for training anew.")
        self.finetune_note.show()

    def show_finetune_done(self, st, epochs: int, images: int, model_name: str, saved: bool = True) -> None:
        """The fine-tune ended: what it was, kept in view until the next run, so the fields are not mistaken for it.

        ``saved``: whether it left a model to try (a run stopped in its first epoch does not)."""
        samples = counted(images, "collected sample")
        if saved:
            text = (f"Fine-tuned {model_name} on {samples}: {counted(epochs, 'epoch')}, batch {st.batch_size}, "
                    f"learning rate {st.learning_rate:g}. Try it with Use this model; ")
        else:
            text = f"The fine-tune of {model_name} on {samples} stopped before it saved a model; "
        self.finetune_note.setText(text + "the fields above are for training anew.")
        self.finetune_note.show()

    def clear_finetune(self) -> None:
        self.finetune_note.hide()

    def device(self) -> str:
        """The device combo's choice: ``"cpu"``, ``"gpu:N"`` or :data:`ALL_GPUS`."""
        return self.device_combo.currentData() or "cpu"

    def device_settings(self) -> dict:
        """The choice as training settings: "All GPUs" is data-parallel training (``TrainSettings.distribute``)."""
        device = self.device()
        if device == ALL_GPUS:
            return {"device": "gpu:0", "distribute": True}
        return {"device": device}

    # -- QSettings ---------------------------------------------------------------------------
    def restore_settings(self, s) -> None:
        self.custom_folder = get_str(s, "train/folder", "")
        self._wanted_device = get_str(s, "train/device", "cpu")
        preset = get_str(s, "train/preset", "quick")
        # Custom fields saved before 2026-12-04 were on the standard preset's hidden settings.
        base = get_str(s, "train/base_preset", "standard") if preset == "custom" else preset
        self._choose_preset_quietly(preset)
        self.apply_preset(base if base in PRESETS and base not in BUTTON_PRESETS else "quick")
        if self.preset_combo.currentData() == "custom":
            self.epochs.setValue(get_int(s, "train/epochs", self.epochs.value()))
            self.batch_size.setValue(get_int(s, "train/batch_size", self.batch_size.value()))
            self.learning_rate.setValue(get_float(s, "train/learning_rate", self.learning_rate.value()))
            self.augment.setChecked(get_bool(s, "train/augment", self.augment.isChecked()))
            self.val_split.setValue(get_float(s, "train/val_split", self.val_split.value()))
        self.seed.setValue(get_int(s, "train/seed", 0))
        self.max_per_class.setValue(get_int(s, "train/max_per_class", 0))
        ds = get_str(s, "train/dataset", "signs")
        self.dataset_combo.setCurrentIndex(max(0, self.dataset_combo.findData(ds)))
        self.show_dataset_path()

    def save_settings(self, s) -> None:
        s.setValue("train/preset", self.preset_combo.currentData())
        s.setValue("train/base_preset", self._base)
        s.setValue("train/epochs", self.epochs.value())
        s.setValue("train/batch_size", self.batch_size.value())
        s.setValue("train/learning_rate", self.learning_rate.value())
        s.setValue("train/augment", self.augment.isChecked())
        s.setValue("train/val_split", self.val_split.value())
        s.setValue("train/seed", self.seed.value())
        s.setValue("train/max_per_class", self.max_per_class.value())
        s.setValue("train/dataset", self.dataset_combo.currentData())
        s.setValue("train/folder", self.custom_folder)
        s.setValue("train/device", self.device())

    # -- devices and data ------------------------------------------------------------------------
    def set_devices(self, devices) -> None:
        """Fill the device list (None: still looking); GPUs TensorFlow does not see are shown disabled with a reason."""
        self.device_combo.clear()
        self.device_combo.addItem("CPU", "cpu")
        gpus = [d for d in (devices or []) if d.startswith("gpu")]
        for d in gpus:
            self.device_combo.addItem(f"GPU {d.split(':')[1]}", d)
        if len(gpus) > 1:
            self.device_combo.addItem(f"All GPUs ({len(gpus)})", ALL_GPUS)
            tip = "Data-parallel: each GPU trains on its share of every batch (MirroredStrategy)"
            self.device_combo.setItemData(self.device_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
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
        """(path, kind) of the chosen dataset; the path is empty when no folder was chosen."""
        from core.paths import collected_dir, resolve_data

        key = self.dataset_combo.currentData()
        if key == "collected":
            return str(collected_dir()), "folders"
        if key == "folder":
            return self.custom_folder, "auto"
        return str(resolve_data("signs")), "auto"

    def show_dataset_path(self) -> None:
        path, _ = self.dataset_source()
        self.dataset_path.setText(path or "(choose a folder)")

    def _dataset_chosen(self, _index) -> None:
        if self.dataset_combo.currentData() == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Dataset folder (one sub-folder per class)", self.custom_folder)
            if folder:
                self.custom_folder = folder
        self.show_dataset_path()

    # -- running -----------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        """While a run goes: the fields are locked, Pause and Stop work, Start and Fine-tune wait."""
        self.start_button.setEnabled(not running)
        self.finetune_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.stop_button.setEnabled(running)
        if running:  # a fine-tune's note stays after it, until the next run
            self.finetune_note.hide()
        for w in (self.dataset_combo, self.preset_combo, self.epochs, self.batch_size, self.learning_rate,
                  self.augment, self.val_split, self.seed, self.max_per_class, self.device_combo):
            w.setEnabled(not running)

    def show_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")

    def show_stopping(self) -> None:
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)


def _spin(lo: int, hi: int) -> QSpinBox:
    w = QSpinBox()
    w.setRange(lo, hi)
    return w


def _double_spin(lo: float, hi: float, *, step: float, decimals: int) -> QDoubleSpinBox:
    w = QDoubleSpinBox()
    w.setDecimals(decimals)  # before the range, or the range would be rounded to the default 2 decimals
    w.setRange(lo, hi)
    w.setSingleStep(step)
    return w

