"""The Train tab's settings panel, offscreen: presets fill the fields, fine-tuning uses the finetune preset,
edits switch to Custom on the edited preset's hidden settings, and the fields survive a save and restore."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QSettings

from core.training.presets import PRESETS, settings_for
from gui.tabs.train.settings_panel import SettingsPanel


@pytest.fixture
def panel(qtbot):
    p = SettingsPanel()
    qtbot.addWidget(p)
    return p


# The settings a preset has beyond the panel's fields.
HIDDEN = ("schedule", "init", "bn_momentum", "zero_gamma", "val_per_class", "restore_best", "label_smoothing",
          "refresh_batchnorm", "find_hand")


def _choose(panel, preset):
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData(preset))


def test_the_list_offers_every_preset_but_the_fine_tune_button_s(panel):
    keys = [panel.preset_combo.itemData(i) for i in range(panel.preset_combo.count())]
    assert keys == [k for k in PRESETS if k != "finetune"] + ["custom"]
    assert panel.preset_combo.currentData() == "quick"
    quick = panel.preset_combo.itemText(0)
    assert "~3" not in quick and "min" in quick  # an honest time, measured in docs/model.md


@pytest.mark.parametrize("preset", [k for k in PRESETS if k != "finetune"])
def test_choosing_a_preset_fills_the_fields_and_keeps_its_hidden_settings(panel, preset):
    _choose(panel, "custom" if preset == "quick" else "quick")
    _choose(panel, preset)
    want = settings_for(preset)
    assert panel.epochs.value() == want.epochs and panel.batch_size.value() == want.batch_size
    assert panel.learning_rate.value() == pytest.approx(want.learning_rate)
    assert panel.augment.isChecked() == want.augment and panel.val_split.value() == pytest.approx(want.val_split)
    got = panel.train_settings()
    assert got.preset == preset
    for f in HIDDEN:
        assert getattr(got, f) == getattr(want, f), f


@pytest.mark.parametrize("preset", ["quick", "notebook"])
def test_editing_a_field_switches_to_custom_which_keeps_the_edited_preset_s_hidden_settings(panel, preset):
    _choose(panel, "standard")
    _choose(panel, preset)
    panel.epochs.setValue(7)
    assert panel.preset_combo.currentData() == "custom" and panel.epochs.value() == 7
    assert panel.preset_combo.currentText() == f"Custom (from {preset.capitalize()})"
    got, base = panel.train_settings(), settings_for(preset)
    assert got.epochs == 7 and got.batch_size == base.batch_size
    for f in HIDDEN:  # quick: smoothing and the recount; notebook: glorot, momentum 0.99, whole photos
        assert getattr(got, f) == getattr(base, f), f
    assert dataclasses.asdict(got) != dataclasses.asdict(settings_for("standard", epochs=7))


def test_custom_remembers_which_preset_it_was_edited_from(qtbot, panel, tmp_path):
    s = QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat)
    _choose(panel, "notebook")
    panel.learning_rate.setValue(0.002)
    panel.save_settings(s)
    again = SettingsPanel()
    qtbot.addWidget(again)
    again.restore_settings(s)
    got = again.train_settings()
    assert again.preset_combo.currentText() == "Custom (from Notebook)"
    assert got.learning_rate == pytest.approx(0.002) and got.init == "glorot" and not got.find_hand
    s.remove("train/base_preset")  # saved by a version before the base was kept: the standard preset's
    old = SettingsPanel()
    qtbot.addWidget(old)
    old.restore_settings(s)
    assert old.preset_combo.currentText() == "Custom (from Standard)"
    assert old.train_settings().init == settings_for("standard").init and old.learning_rate.value() == pytest.approx(0.002)


@pytest.mark.parametrize(("epochs", "batch"), [(12, 32), (3, 8)])
def test_fine_tuning_uses_the_finetune_preset_whatever_the_fields_say(panel, epochs, batch):
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(batch)
    panel.seed.setValue(42)
    panel.learning_rate.setValue(0.5)  # the preset's own settings win: the fields are for training anew
    got = panel.finetune_settings()
    want = settings_for("finetune", seed=42, device="cpu")
    assert dataclasses.asdict(got) == dataclasses.asdict(want)
    assert got.preset == "finetune" and got.learning_rate == PRESETS["finetune"]["learning_rate"]


def test_the_fields_survive_save_and_restore(qtbot, panel, tmp_path):
    s = QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat)
    panel.epochs.setValue(9)
    panel.augment.setChecked(True)
    panel.seed.setValue(5)
    panel.max_per_class.setValue(30)
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("collected"))
    panel.custom_folder = str(tmp_path)
    panel.save_settings(s)
    s.sync()
    again = SettingsPanel()
    qtbot.addWidget(again)
    again.restore_settings(QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat))
    assert again.preset_combo.currentData() == "custom" and again.epochs.value() == 9 and again.augment.isChecked()
    assert again.seed.value() == 5 and again.max_per_class.value() == 30 and again.custom_folder == str(tmp_path)
    assert again.dataset_combo.currentData() == "collected" and again.dataset_path.text().endswith("collected")


def test_a_saved_preset_comes_back_with_its_own_values(qtbot, panel, tmp_path):
    s = QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat)
    _choose(panel, "notebook")
    panel.save_settings(s)
    s.setValue("train/epochs", 99)  # ignored: a preset's fields come from the preset
    again = SettingsPanel()
    qtbot.addWidget(again)
    again.restore_settings(s)
    assert again.preset_combo.currentData() == "notebook" and again.epochs.value() == settings_for("notebook").epochs


def test_running_locks_the_fields_and_swaps_the_buttons(panel):
    panel.set_running(True)
    assert not panel.start_button.isEnabled() and not panel.finetune_button.isEnabled()
    assert panel.pause_button.isEnabled() and panel.stop_button.isEnabled() and not panel.epochs.isEnabled()
    panel.show_paused(True)
    assert panel.pause_button.text() == "Resume"
    panel.show_stopping()
    assert not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()
    panel.set_running(False)
    assert panel.start_button.isEnabled() and panel.epochs.isEnabled() and panel.pause_button.text() == "Pause"


def test_after_a_fine_tune_the_note_says_what_ran_and_whether_there_is_a_model_to_try(panel):
    st = settings_for("finetune")
    panel.show_finetune_done(st, 30, 60, "handsign_resnet50.keras")
    text = panel.finetune_note.text()
    assert text.startswith("Fine-tuned handsign_resnet50.keras on 60 collected samples: 30 epochs, batch 8, ")
    assert "Use this model" in text and not panel.finetune_note.isHidden()
    panel.show_finetune_done(st, 1, 1, "mine.keras")
    assert "on 1 collected sample: 1 epoch," in panel.finetune_note.text()
    panel.show_finetune_done(st, 0, 60, "mine.keras", saved=False)
    text = panel.finetune_note.text()
    assert "stopped before it saved a model" in text and "Use this model" not in text
    panel.set_running(True)  # the next run
    assert panel.finetune_note.isHidden()
