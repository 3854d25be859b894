"""A classify-only app session runs on LiteRT without importing TensorFlow; features that need Keras load it.

The sys.modules check runs in a fresh process (``tests.gui.lite_session_run``):
this test process has TensorFlow imported already.  A real tiny model is saved,
converted once by the full path into a temporary cache (as a previous session
would), then the app classifies video frames (hand finding on) and image files
(the centre square) on the TensorFlow-free engine, and the Model tab's summary
brings TensorFlow and Keras in, in the background, while the video plays on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, tiny_builder, write_image
from tests.gui.conftest import wait_for


def _tensorflow_only():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the cache is filled by the TensorFlow Lite conversion")


@pytest.fixture
def warm_model(tmp_path, monkeypatch):
    """A tiny model file whose checked conversion is in a fresh cache, and the full classifier that made it."""
    _tensorflow_only()
    import keras

    from core.inference.classifier import Classifier
    from core.model.files import ModelInfo, save_model

    keras.utils.set_random_seed(3)
    path = save_model(tiny_builder((64, 64, 3), 6), tmp_path / "tiny.keras",
                      ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny"))
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(cache))
    full = Classifier.load(path)
    assert full.engine == "tflite" and len(list((cache / "tflite").glob("*.json"))) == 1
    return path, cache, full


def _video(path, repeats: int = 1):
    from tools.videos import room, write_test_video

    return write_test_video(path, [room(seed=i) for i in range(20)] * repeats)


def test_a_classify_only_session_never_imports_tensorflow_until_the_model_tab_asks(warm_model, tmp_path, signs_dir):
    """Also the Train tab: its device list and a training start and end without TensorFlow in the app."""
    path, cache, full = warm_model
    rng = np.random.default_rng(0)
    images = [write_image(tmp_path / f"img{i}.png", rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
              for i in range(2)]
    env = dict(os.environ, HANDSIGN_CACHE=str(cache), HANDSIGN_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    env.pop("HANDSIGN_ENGINE", None)
    env.pop("HANDSIGN_INFERENCE", None)
    proc = subprocess.run([sys.executable, "-m", "tests.gui.lite_session_run", str(path), str(_video(tmp_path / "v.avi")),
                           *map(str, images), "--train"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])

    assert out["engine"] == "litert" and out["error"] is None
    assert out["model_tab_summary_before"] is False  # metadata only, until the tab is shown
    assert out["after_load"] == out["after_frames"] == out["after_files"] == []
    assert len(out["frames"]) >= 5 and all(f["error"] is None for f in out["frames"])
    assert [f["path"] for f in out["files"]] == [str(p) for p in images]
    from core.images import read_image

    for entry, image in zip(out["files"], images, strict=True):
        assert entry["error"] is None and entry["probabilities"] is not None, entry
        expected = full.classify_frame(read_image(image)).probabilities  # the centre square, on the Keras side
        np.testing.assert_allclose(entry["probabilities"], expected, atol=1e-4)

    assert out["devices"][0] == "cpu" and out["after_devices"] == []  # probed in a child process
    assert out["training"] == "completed" and out["after_training"] == []  # trained in the training child
    assert out["after_summary"] == ["keras", "tensorflow"]
    assert out["summary_layers"] == len(full.model.layers)
    assert out["frames_while_loading_keras"] >= 1  # the live view went on, on LiteRT, while TensorFlow loaded


def _run_session(path, cache, tmp_path, *flags, video_repeats: int = 1) -> dict:
    """``tests.gui.lite_session_run`` on ``path`` with a video (20 frames, ``video_repeats`` times), one image
    file and ``flags``: its RESULT."""
    image = write_image(tmp_path / "img.png", np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8))
    env = dict(os.environ, HANDSIGN_CACHE=str(cache), HANDSIGN_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    env.pop("HANDSIGN_ENGINE", None)
    env.pop("HANDSIGN_INFERENCE", None)
    proc = subprocess.run([sys.executable, "-m", "tests.gui.lite_session_run", str(path), str(_video(tmp_path / "v.avi", video_repeats)),
                           str(image), *flags], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["engine"] == "litert" and out["after_files"] == []
    return out


def test_the_inside_tab_loads_keras_beside_the_live_view(shipped_model, tmp_path, monkeypatch):
    """The Inside tab's feature maps need the Keras model: on a LiteRT session its first request imports
    TensorFlow and then loads the Keras model on helper threads, and the video goes on being classified
    through both until the maps arrive.  On the
    shipped ResNet-50 (the maps are of residual blocks), its conversion beside it or in a fresh cache."""
    _tensorflow_only()
    from core.inference.classifier import Classifier
    from core.inference.lite import open_lite_classifier

    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(cache))
    if open_lite_classifier(shipped_model) is None:  # no sibling conversion: fill the session's cache as a first run would
        Classifier.load(shipped_model)
    out = _run_session(shipped_model, cache, tmp_path, "--inside", video_repeats=20)  # frames for 400 reads
    assert out["inside_failed"] is False and out["after_inside"] == ["keras", "tensorflow"]
    # frames went on being classified while TensorFlow was imported (before, the worker stopped for seconds:
    # at most the frame already in flight came before the maps)
    assert out["frames_while_loading_inside"] >= 5
    # ... and while the Keras model was loaded (before, the worker loaded it itself: no frame in between)
    assert out["frames_while_loading_keras_model"] >= 3, out["keras_load_marks"]
    assert out["after_summary"] == ["keras", "tensorflow"] and out["summary_layers"] > 0


def test_the_gallery_heatmaps_load_tensorflow_beside_the_live_view(warm_model, tmp_path, shipped_model):
    """A clicked test mistake in the Train tab's gallery: TensorFlow is imported on a helper thread while
    frames go on, then the shipped model's stage-4 maps for both classes come back."""
    path, cache, _ = warm_model
    out = _run_session(path, cache, tmp_path, "--gallery", str(shipped_model))
    assert out["gallery_error"] is None and out["gallery_maps"] == [[4, 4], [4, 4]]
    assert out["after_gallery"] == ["keras", "tensorflow"]
    assert out["frames_while_loading_gallery"] >= 5


def test_the_model_tab_shows_the_metadata_then_the_keras_summary(warm_model, make_window, qtbot):
    path, _, full = warm_model
    win = make_window(model_path=path)
    assert win.report.engine == "litert" and not win.report.summary
    assert "tiny.keras" in win.model_tab.header.text() and "64×64" in win.model_tab.header.text()
    assert "classes: 0, 1, 2, 3, 4, 5" in win.model_tab.details.text()
    assert "loading TensorFlow" in win.model_tab.totals.text()
    win.tabs.setCurrentWidget(win.model_tab)
    wait_for(qtbot, lambda: bool(win.model_tab.report.summary), timeout=120_000)
    assert win.report is win.model_tab.report and win.report.engine == "litert"  # frames stay on LiteRT
    assert win.model_tab.model.rowCount() == len(full.model.layers)
    assert "Total params" in win.model_tab.totals.text()


def test_the_keras_switch_forces_the_full_engine(warm_model, make_window, monkeypatch):
    path, _, full = warm_model
    monkeypatch.setenv("HANDSIGN_ENGINE", "keras")
    win = make_window(model_path=path)
    assert win.report.engine == "tflite" and win.report.summary  # the path before: Keras, summary at once
    assert win.model_tab.model.rowCount() == len(full.model.layers)


def test_the_heatmap_on_the_lite_engine_gets_the_full_keras_model(make_window, qtbot, signs_dir, shipped_model):
    """Explanations need TensorFlow: switching the heatmap on loads the Keras model of the same file beside the
    LiteRT classifier (which keeps classifying), and the map is drawn for the right class."""
    _tensorflow_only()
    import keras

    from core.inference.classifier import Classifier
    from core.inference.lite import open_lite_classifier
    from tests.gui.conftest import signs_test_images

    if open_lite_classifier(shipped_model) is None:  # neither the sibling nor the session's cache has it yet
        Classifier.load(shipped_model)
    win = make_window(model_path=shipped_model, size=(1200, 800))
    assert win.report.engine == "litert" and win.worker._beside.keras is None  # noqa: SLF001 - nothing loaded Keras yet
    c, choice = win.classify, win.classify_tab.heatmap
    c.open_paths([f for f in signs_test_images(signs_dir, 20) if f.name.startswith("3_")][:1])
    wait_for(qtbot, lambda: c.results_shown > 0 and c.last_display is not None)
    win.heatmap_action.trigger()
    wait_for(qtbot, lambda: choice.last is not None, timeout=180_000)
    assert choice.last.class_index == 3 and choice.last.map.shape == (4, 4)
    full = win.worker._beside.keras  # noqa: SLF001
    assert isinstance(full, Classifier) and isinstance(full.model, keras.Model)
    assert win.report.engine == "litert" and win.worker.classifier.engine == "litert"
