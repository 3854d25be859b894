"""The Train tab's controller, on the real tab offscreen: what each worker report does to the views,
and how a run's state moves (idle -> running -> ended) through a real training child that fails fast."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.protocol import DatasetInfo, TrainJob, TrainOutcome
from core.training.reports import BatchProgress, EpochMetrics, RunStart, TrainResult
from gui.tabs.train import TrainTab
from gui.widgets import BAD, GOOD
from tests.gui.conftest import wait_for


@pytest.fixture
def tab(qtbot):
    t = TrainTab()
    qtbot.addWidget(t)
    t.resize(1400, 900)
    t.show()
    yield t
    assert t.shutdown(60_000)


def _info():
    return DatasetInfo(["a", "b"], {"a": 2, "b": 2}, np.zeros((4, 64, 64, 3), np.uint8),
                       strip_labels=[0, 1, 0, 1], strip_index=[0, 1, 2, 3])


def _epoch(n, val_predictions=None):
    return EpochMetrics(epoch=n, loss=1.0 / n, accuracy=0.5, val_loss=1.2 / n, val_accuracy=0.4, seconds=1.0,
                        learning_rate=1e-3, val_predictions=val_predictions)


def _outcome(model_path, history):
    report = {"accuracy": 0.5, "n": 4, "confusion_matrix": [[1, 1], [1, 1]]}
    result = TrainResult("completed", model_path, None, {"status": "completed"}, test_report=report, history=history)
    return TrainOutcome(result, ["a", "b"], np.zeros((2, 64, 64, 3), np.uint8), ["a", "b"], ["b", "a"])


def _xy(curve):
    x, y = curve.getData()
    return [] if x is None else list(x), [] if y is None else list(y)


def test_worker_reports_reach_the_views(tab, qtbot, tiny_model_file):
    c = tab.controller
    c.on_dataset(_info())
    assert [cap for _, cap, _ in tab.strip.items] == ["a → ?", "b → ?", "a → ?", "b → ?"]
    c.on_started(RunStart(epochs=3, steps_per_epoch=4, train=8, val=4, device="cpu", class_names=["a", "b"]))
    assert tab.progress.maximum() == 12 and tab.epoch_label.text() == "Epoch 1 / 3 · batch 0 / 4"
    for b in (1, 2):
        c.on_batch(BatchProgress(1, 3, b, 4, loss=2.0 / b, accuracy=0.25 * b, images_per_second=50, eta_seconds=9))
    m = _epoch(1, val_predictions=[0, 0, 0, 1])
    c.on_epoch(m)
    assert [(cap, col) for _, cap, col in tab.strip.items] == [("a → a", GOOD), ("b → a", BAD), ("a → a", GOOD),
                                                                ("b → b", GOOD)]
    assert tab.epochs_seen == 1 and tab.batches_seen == 2
    c.redraw()  # one plot per turn of the event loop
    wait_for(qtbot, lambda: not c.curves.pending, timeout=2_000)
    assert _xy(tab.loss_plot.batch) == ([0.25, 0.5], [2.0, 1.0])
    assert _xy(tab.acc_plot.batch) == ([0.25, 0.5], [0.25, 0.5])
    assert _xy(tab.loss_plot.epoch_val) == ([1], [1.2]) and _xy(tab.acc_plot.epoch_train) == ([1], [0.5])

    c.on_finished(_outcome(tiny_model_file, [m]))
    assert tab.results.currentIndex() == 1 and "50.0%" in tab.test_label.text()
    assert np.asarray(tab.confusion.matrix).tolist() == [[1, 1], [1, 1]]
    assert "(2)" in tab.wrong_title.text() and [cap for _, cap, _ in tab.wrong.items] == ["a → b", "b → a"]
    assert tab.progress.format() == "done" and tab.epoch_label.text().startswith("Done after 1 epoch in")
    assert tab.use_button.isEnabled() and tab.save_button.isEnabled()
    with qtbot.waitSignal(tab.use_model_requested, timeout=1_000) as used:
        tab.use_button.click()
    assert used.args == [str(tiny_model_file)]


def test_a_run_without_a_model_file_offers_neither_use_nor_save(tab, tmp_path):
    tab.controller.on_finished(_outcome(tmp_path / "gone.keras", []))
    assert not tab.use_button.isEnabled() and not tab.save_button.isEnabled()
    tab.controller.on_finished(None)  # failed, or stopped before training began
    assert tab.progress.format() == "not trained" and tab.epoch_label.text() == "Not trained"


def test_a_run_goes_idle_running_ended_and_refuses_a_second_start(tab, qtbot, tmp_path):
    from core.training.presets import settings_for

    states = []
    tab.training_running.connect(states.append)
    (tmp_path / "empty").mkdir()
    job = TrainJob(str(tmp_path / "empty"), settings_for("quick", epochs=1), tmp_path / "out.keras")
    assert not tab.busy() and tab.start_button.isEnabled()
    assert tab.controller.run_job(job)
    assert tab.busy() and states == [True] and tab.controller.job is job
    assert not tab.start_button.isEnabled() and not tab.epochs.isEnabled() and tab.stop_button.isEnabled()
    assert tab.progress.format() == "loading data…" and tab.results.currentIndex() == 0
    assert not tab.controller.run_job(job) and not tab.start_training()  # one run at a time
    assert tab.worker_thread is not None and tab.worker_thread.isRunning()
    wait_for(qtbot, lambda: not tab.busy(), timeout=120_000)
    assert states == [True, False] and tab.outcome is None
    assert tab.banner.text().startswith("Training failed: ") and "no class folders" in tab.banner.text()
    assert tab.progress.format() == "not trained" and tab.start_button.isEnabled() and tab.epochs.isEnabled()
    assert "error: " in tab.log_view.toPlainText() and not (tmp_path / "out.keras").exists()


def test_start_without_a_dataset_folder_or_a_model_says_what_is_missing(tab):
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("folder"))
    tab.custom_folder = ""
    assert not tab.start_training() and "choose a dataset folder" in tab.banner.text()
    assert not tab.start_finetune() and "load one first" in tab.banner.text()
    assert not tab.busy() and tab.worker_thread is None  # nothing was started
