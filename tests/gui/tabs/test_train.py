"""Train tab, driven for real: a short real training on a small SIGNS subset with a small CNN
(the full ResNet-50 is too slow on 2 cores for a test suite: bench/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.training.presets import PRESETS
from gui.tabs.train.results_view import MISTAKES_TITLE, MISTAKES_WAITING
from gui.widgets import confusion
from tests.conftest import tiny_builder
from tests.gui.conftest import signs_test_images, wait_for


@pytest.fixture
def train_window(make_window, signs_model):
    win = make_window(model_path=signs_model)
    tab = win.train_tab
    tab.builder = tiny_builder
    win.tabs.setCurrentWidget(tab)
    return win


def _points(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


def _configure(tab, *, epochs, per_class, batch=16):
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(epochs)
    tab.batch_size.setValue(batch)
    tab.learning_rate.setValue(0.003)
    tab.augment.setChecked(False)
    tab.max_per_class.setValue(per_class)
    assert tab.preset_combo.currentData() == "custom"  # editing a field leaves the preset


def test_short_training_updates_curves_and_progress_and_stop_ends_it(train_window, qtbot, signs_dir):
    tab = train_window.train_tab
    _configure(tab, epochs=400, per_class=20)
    assert tab.start_training()
    assert not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    wait_for(qtbot, lambda: tab.epochs_seen >= 2, timeout=60_000)
    wait_for(qtbot, lambda: tab.progress.value() > 0, timeout=5_000)
    # Curves are redrawn at 10 Hz, not per signal, one plot per turn: wait for both plots to catch up.
    wait_for(qtbot, lambda: _points(tab.acc_plot.epoch_val) >= 2 and _points(tab.loss_plot.epoch_train) >= 2,
             timeout=5_000)
    # Curves: per-batch train values and per-epoch train and validation values are drawn.
    bx, by = tab.loss_plot.batch.getData()
    assert len(bx) >= 2 * 8 and np.all(np.isfinite(by))  # 120 images / batch 16 = 8 batches per epoch
    ex, _ = tab.loss_plot.epoch_train.getData()
    vx, vy = tab.acc_plot.epoch_val.getData()
    assert len(ex) >= 2 and len(vx) >= 2 and np.all((vy >= 0) & (vy <= 1))
    assert "Epoch" in tab.epoch_label.text() and "/ 400" in tab.epoch_label.text()
    assert "images/s" in tab.rate_label.text() and "ETA" in tab.rate_label.text()
    # The fixed validation strip shows the network's guesses after each epoch.
    assert len(tab.strip.items) == 12 and all("→" in cap and "?" not in cap for _, cap, _ in tab.strip.items)
    # Pause holds it; resume continues.
    tab.controller.toggle_pause()
    assert "paused" in tab.epoch_label.text() and tab.pause_button.text() == "Resume"
    tab.controller.toggle_pause()
    assert tab.pause_button.text() == "Pause" and not tab.controller.paused
    tab.stop_training()
    wait_for(qtbot, lambda: not tab.running, timeout=60_000)
    r = tab.outcome.result
    assert r.status == "stopped" and 2 <= len(r.history) < 400
    assert r.model_path.exists()  # a stopped run still leaves its (best) model
    assert tab.progress.text() == "stopped" or tab.progress.format() == "stopped"
    assert tab.start_button.isEnabled() and not tab.stop_button.isEnabled()
    assert "Test accuracy" in tab.test_label.text()
    assert "stopped" in tab.log_view.toPlainText()


def test_training_to_the_end_shows_results_use_and_save_as(train_window, qtbot, tmp_path):
    win = train_window
    tab = win.train_tab
    _configure(tab, epochs=3, per_class=16)
    assert tab.start_training()
    wait_for(qtbot, lambda: not tab.running and tab.outcome is not None, timeout=90_000)
    out = tab.outcome
    rep = out.result.test_report
    assert out.result.status == "completed" and len(out.result.history) == 3
    assert tab.results.currentIndex() == 1  # the results page
    assert f"{rep['accuracy']:.1%}" in tab.test_label.text()
    cm = np.asarray(tab.confusion.matrix)
    assert cm.shape == (6, 6) and cm.sum() == rep["n"] == 120
    n_wrong = int(cm.sum() - np.trace(cm))
    assert len(out.wrong_true) == n_wrong and f"({n_wrong})" in tab.wrong_title.text()
    assert len(tab.wrong.items) == min(n_wrong, 96)  # the gallery shows at most 96
    # Save as… writes the model and its run card.
    dst = tab.save_model_as(tmp_path / "mine.keras")
    assert dst.exists() and (tmp_path / "mine.json").exists()
    card = json.loads((tmp_path / "mine.json").read_text())
    assert card["status"] == "completed" and len(card["epochs"]) == 3
    # Use this model: Classify switches to it.
    tab.use_button.click()
    wait_for(qtbot, lambda: win.classify.model_path == out.result.model_path, timeout=30_000)
    assert win.tabs.currentIndex() == 0
    assert win.model_tab.report.path == out.result.model_path
    # The next run starts with no count in the mistakes title and no results.
    tab.results.reset()
    assert tab.wrong_title.text() == MISTAKES_TITLE and tab.wrong.items == []


def test_finetune_from_the_current_model_on_collected_samples(train_window, qtbot, signs_dir):
    from core.paths import collected_dir

    win = train_window
    for f in signs_test_images(signs_dir, 6):
        d = collected_dir() / f.name.split("_")[0]
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, d / f.name)
    tab = win.train_tab
    tab.epochs.setValue(2)  # the fields do not shorten a fine-tune: it is the finetune preset, as on the command line
    assert tab.start_finetune(), tab.banner.text()
    # The locked fields show the training preset; a note says what the fine-tune runs with.
    note = tab.panel.finetune_note
    assert note.isVisible() and f"up to {PRESETS['finetune']['epochs']} epochs" in note.text()
    # Once the run has counted its samples, the note gives its own epochs (36 images: all 30).
    wait_for(qtbot, lambda: "up to" not in note.text(), timeout=120_000)
    assert f"settings: {PRESETS['finetune']['epochs']} epochs, batch 8" in note.text()
    wait_for(qtbot, lambda: not tab.running and tab.outcome is not None, timeout=180_000)
    # After the run the note stays, in the past tense: the fields still show the training preset.
    model_name = Path(win.classify.model_path).name
    assert note.isVisible() and note.text().startswith(f"Fine-tuned {model_name} on 36 collected samples: "
                                                       f"{PRESETS['finetune']['epochs']} epochs, batch 8")
    assert tab.live.epoch_label.text().startswith(f"Done after {PRESETS['finetune']['epochs']} epochs in ")
    card = tab.outcome.result.run_card
    assert card["initial_model"] == str(win.classify.model_path)
    assert card["settings"]["preset"] == "finetune" and card["status"] == "completed"
    assert card["settings"]["epochs"] == PRESETS["finetune"]["epochs"]
    assert card["settings"]["learning_rate"] == PRESETS["finetune"]["learning_rate"]
    assert card["dataset"]["source"] == str(collected_dir())
    # Every sample trained: the view says where validation and test images would have been.
    assert card["dataset"]["val"] == 0 and card["dataset"]["test"] == 0
    assert tab.live.strip.empty_text.startswith("No validation images in this run: all 36 images train")
    assert "no validation images" in tab.live.projection.caption.text()
    assert tab.results.test_label.text().startswith("No test images in this run")
    assert tab.results.confusion.empty_text == "no test set, no confusion matrix"
    assert tab.results.wrong.empty_text == "no test set"
    assert tab.results.wrong_title.text() == MISTAKES_TITLE  # no "(0)": there was nothing to get wrong
    # The next run starts from the waiting texts, not this run's "no test set".
    tab.results.reset()
    assert tab.results.confusion.empty_text == confusion.WAITING
    assert tab.results.wrong.empty_text == MISTAKES_WAITING
    # The next training hides the fine-tune's note.
    tab.panel.set_running(True)
    assert not note.isVisible()
    tab.panel.set_running(False)


def test_finetune_without_samples_says_what_to_do(train_window):
    tab = train_window.train_tab
    assert not tab.start_finetune()
    assert "Collect tab" in tab.banner.text()


def test_a_bad_dataset_folder_is_a_message(train_window, qtbot, tmp_path):
    tab = train_window.train_tab
    (tmp_path / "empty").mkdir()
    tab.custom_folder = str(tmp_path / "empty")
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("folder"))
    assert tab.start_training()
    wait_for(qtbot, lambda: not tab.running, timeout=30_000)
    assert "Training failed" in tab.banner.text() and "no class folders" in tab.banner.text()
    assert tab.start_button.isEnabled()


def test_device_list_cpu_and_a_disabled_gpu_with_a_reason(train_window, qtbot):
    tab = train_window.train_tab
    wait_for(qtbot, lambda: train_window.backend_loaded)
    combo = tab.device_combo
    assert combo.itemData(0) == "cpu" and combo.currentData() == "cpu"
    items = [combo.model().item(i) for i in range(combo.count())]
    gpus = [it for it in items if it.text().startswith("GPU")]
    assert gpus
    from core.device import list_devices

    if "gpu:0" not in list_devices():
        assert not gpus[0].isEnabled() and "no GPU" in gpus[0].toolTip()


def test_presets_fill_the_settings(train_window):
    from core.training.presets import settings_for

    tab = train_window.train_tab
    tab.preset_combo.setCurrentIndex(tab.preset_combo.findData("notebook"))
    nb = settings_for("notebook")
    assert tab.epochs.value() == nb.epochs and tab.augment.isChecked() == nb.augment
    st = tab.panel.train_settings()
    assert st.init == "glorot" and st.bn_momentum == 0.99  # the preset's hidden settings come along
