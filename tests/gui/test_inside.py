"""The Inside tab ("What the network sees"), driven for real: a main window offscreen, a tiny ResNet built
from the notebook's blocks saved as a model file, and a video file played through the camera path."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.explain.test_features import tiny_resnet
from tests.gui.conftest import settle, wait_for


@pytest.fixture(scope="module")
def resnet_file(tmp_path_factory):
    """A tiny ResNet (res2a, res2b: 32x32x8; res3a..res3c: 16x16x16 at 64x64) as a Hand Sign Studio model file."""
    from core.model.files import ModelInfo, save_model

    path = tmp_path_factory.mktemp("inside") / "tiny_resnet.keras"
    save_model(tiny_resnet(64), path, ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny resnet"))
    return path


def play(win, video) -> None:
    win.set_find_hand(False)  # the user's box: every frame is classified (no "no hand" frames)
    win.frames.loop_video = True
    win.classify.open_video(video)


def test_the_tab_shows_the_feature_maps_of_the_crop_that_was_classified(make_window, qtbot, signs_video,
                                                                        resnet_file):
    from core.explain.features import FeatureExtractor
    from core.model.files import load_model

    win = make_window(model_path=resnet_file)
    crops = []
    win.worker.result_ready.connect(lambda r: crops.append(r.model_input))  # what the Classify tab classified
    play(win, signs_video[0])
    tab, c = win.inside_tab, win.inside_tab.controller
    win.tabs.setCurrentWidget(tab)
    wait_for(qtbot, lambda: c.results_shown >= 5)
    assert tab.grid.tile_shape == (16, 16) and len(tab.grid.labels) == 16  # res3b: all 16 channels
    assert [tab.block_combo.itemData(i) for i in range(tab.block_combo.count())] == [
        "res2a", "res2b", "res3a", "res3b", "res3c"]
    assert tab.block_combo.currentText() == "stage 3, block b - 16x16x16"
    assert any(c.shown_input is crop for crop in list(crops)), "the maps are not of a crop the classifier saw"
    # The tiles are that crop's most active channels, computed here with a model of our own.
    model, _ = load_model(resnet_file)
    expected = FeatureExtractor(model).extract(c.shown_input, "res3b")
    assert tab.grid.labels == [f"ch {i}" for i in expected.channels]
    assert list(tab.histograms.plots) == [2, 3]
    assert "16 most active of its 16 channels" in tab.info.text()


def test_choosing_another_block_changes_the_grid_and_is_remembered(make_window, qtbot, signs_video, resnet_file):
    win = make_window(model_path=resnet_file)
    play(win, signs_video[0])
    tab, c = win.inside_tab, win.inside_tab.controller
    win.tabs.setCurrentWidget(tab)
    wait_for(qtbot, lambda: c.results_shown >= 2)
    before = list(tab.grid.labels)
    tab.block_combo.setCurrentIndex(tab.block_combo.findData("res2a"))
    wait_for(qtbot, lambda: tab.grid.tile_shape == (32, 32))
    assert c.block == "res2a" and len(tab.grid.labels) == 8  # res2a has 8 channels
    assert tab.grid.labels != before
    win.save_settings()
    assert win.settings.value("inside/block") == "res2a"


def test_nothing_is_computed_while_the_tab_is_hidden(make_window, qtbot, signs_video, resnet_file):
    win = make_window(model_path=resnet_file)
    c, classify = win.inside_tab.controller, win.classify
    answered = []
    win.worker.features_ready.connect(lambda r: answered.append(r.seq))
    most_in_flight = [0]
    c.request_features.connect(lambda *_: most_in_flight.__setitem__(
        0, max(most_in_flight[0], c.requests_sent - len(answered))))
    play(win, signs_video[0])
    win.tabs.setCurrentWidget(win.classify_tab)
    wait_for(qtbot, lambda: classify.results_shown >= 10)
    assert c.requests_sent == 0 and c.latest is not None  # the newest crop is kept, nothing computed
    win.tabs.setCurrentWidget(win.inside_tab)
    wait_for(qtbot, lambda: c.results_shown >= 5)
    win.tabs.setCurrentWidget(win.model_tab)
    wait_for(qtbot, lambda: not c.busy)
    sent, shown = c.requests_sent, classify.results_shown
    wait_for(qtbot, lambda: classify.results_shown >= shown + 10)
    settle(qtbot, 0.2)
    assert c.requests_sent == sent, "feature maps were computed while the tab was hidden"
    assert most_in_flight[0] <= 1, "requests queued up behind the worker"


def test_a_model_without_residual_blocks_says_so_and_classifying_goes_on(make_window, qtbot, signs_video,
                                                                       tiny_model_file):
    win = make_window(model_path=tiny_model_file)
    tab, c = win.inside_tab, win.inside_tab.controller
    play(win, signs_video[0])
    win.tabs.setCurrentWidget(tab)
    wait_for(qtbot, lambda: "has no residual blocks" in tab.banner.text())
    assert "\n" not in tab.banner.text()
    shown = win.classify.results_shown
    wait_for(qtbot, lambda: win.classify.results_shown >= shown + 5)  # the app keeps running
    assert c.requests_sent == 1 and c.failed  # asked once: not again every frame
    assert tab.grid.images == []


def test_a_still_image_is_computed_once(make_window, qtbot, signs_dir, resnet_file):
    """An image (no camera): its maps are shown once, and not recomputed while nothing changes."""
    from tests.gui.conftest import signs_test_images

    win = make_window(model_path=resnet_file)
    win.set_find_hand(False)
    win.classify.open_paths(signs_test_images(signs_dir, 1)[:1])
    wait_for(qtbot, lambda: win.classify.results_shown >= 1)
    tab, c = win.inside_tab, win.inside_tab.controller
    win.tabs.setCurrentWidget(tab)
    wait_for(qtbot, lambda: c.results_shown == 1)
    settle(qtbot, 0.5)
    assert c.requests_sent == 1 and c.results_shown == 1
    assert tab.input_view._image is not None and np.asarray(c.shown_input).shape == (64, 64, 3)


def test_the_worker_loads_the_keras_model_for_a_tensorflow_free_classifier(qtbot, resnet_file):
    """With the LiteRT classifier (no Keras model), the worker has the model file loaded beside it for the maps:
    the first answer comes through its thread's event loop, the next at once."""
    from core.inference.classifier import Classifier, open_classifier
    from gui.workers.inference import InferenceWorker

    Classifier.load(resnet_file)  # converts once and fills the cache the TensorFlow-free path reads
    lite = open_classifier(resnet_file)
    if lite.engine != "litert":
        pytest.skip("LiteRT is not available here")
    assert getattr(lite, "model", None) is None
    worker = InferenceWorker()  # slots called directly, on this thread
    worker.classifier = lite
    answers, jobs = [], []
    worker.features_ready.connect(answers.append)
    worker.finished.connect(jobs.append)
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    worker.compute_features(image, "res2a", 7)
    qtbot.waitUntil(lambda: jobs == ["features"], timeout=120_000)  # TensorFlow and Keras loaded on helpers
    worker.compute_features(image, "res9z", 8)
    assert jobs == ["features", "features"]  # the Keras model is here now: answered on the spot
    worker.join_background()
    first, second = answers
    assert first.error is None and first.seq == 7 and first.view.maps.shape == (8, 32, 32)
    assert [b.name for b in first.blocks] == ["res2a", "res2b", "res3a", "res3b", "res3c"]
    assert "no block 'res9z'" in str(second.error)
