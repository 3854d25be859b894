"""The Train tab's device list offers "All GPUs" when there are two or more, and that choice trains
data-parallel (TrainSettings.distribute, which the training child receives with the job's settings)."""

from __future__ import annotations

import pickle

import pytest
from PySide6.QtCore import QSettings

from core.training.protocol import TrainJob
from gui.tabs.train.settings_panel import ALL_GPUS, SettingsPanel


@pytest.fixture
def panel(qtbot):
    p = SettingsPanel()
    qtbot.addWidget(p)
    return p


def _items(panel) -> list[tuple[str, object]]:
    c = panel.device_combo
    return [(c.itemText(i), c.itemData(i)) for i in range(c.count())]


@pytest.mark.parametrize("devices", [None, ["cpu"], ["cpu", "gpu:0"]])
def test_no_all_gpus_choice_with_fewer_than_two(panel, devices):
    panel.set_devices(devices)
    assert ALL_GPUS not in [d for _, d in _items(panel)]
    assert panel.train_settings().distribute is False


def test_two_gpus_add_all_gpus_which_trains_data_parallel(panel, tmp_path):
    panel.set_devices(["cpu", "gpu:0", "gpu:1"])
    assert _items(panel) == [("CPU", "cpu"), ("GPU 0", "gpu:0"), ("GPU 1", "gpu:1"), ("All GPUs (2)", ALL_GPUS)]
    panel.device_combo.setCurrentIndex(3)
    s = panel.train_settings()
    assert s.distribute is True and s.device == "gpu:0"
    s.validate()  # a device string the settings accept
    assert panel.finetune_settings().distribute is True
    job = pickle.loads(pickle.dumps(TrainJob("signs", s, tmp_path / "m.keras")))  # as the child receives it
    assert job.settings.distribute is True
    panel.device_combo.setCurrentIndex(1)
    assert panel.train_settings().distribute is False and panel.train_settings().device == "gpu:0"


def test_all_gpus_is_remembered_and_falls_back_to_cpu_when_gone(qtbot, panel, tmp_path):
    panel.set_devices(["cpu", "gpu:0", "gpu:1"])
    panel.device_combo.setCurrentIndex(panel.device_combo.findData(ALL_GPUS))
    s = QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat)
    panel.save_settings(s)
    again = SettingsPanel()
    qtbot.addWidget(again)
    again.restore_settings(s)
    again.set_devices(["cpu", "gpu:0", "gpu:1"])
    assert again.device() == ALL_GPUS and again.train_settings().distribute
    again.set_devices(["cpu", "gpu:0"])  # one GPU left on this machine
    assert again.device() == "cpu" and not again.train_settings().distribute
