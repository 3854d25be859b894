"""Bad files through the real window (offscreen): each is a one-line message, the window keeps working,
and the model in use stays in use."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot

from tests.conftest import listing, tiny_builder, write_image
from tests.gui.conftest import settle, wait_for
from tests.robustness.conftest import DATASET_CASES, IMAGE_CASES, MODEL_CASES, make_dataset_case


class Results(QObject):
    """Collects the inference worker's results on the UI thread, after the controller has handled them."""

    def __init__(self):
        super().__init__()
        self.items = []

    @Slot(object)
    def add(self, result):
        self.items.append(result)


def _still_works(qtbot, win, image):
    """The window answers: tabs switch and a good image is classified."""
    for i in (1, 2, 3, 0):
        win.tabs.setCurrentIndex(i)
        settle(qtbot, 0.02)
    n = win.classify.results_shown
    win.classify.open_paths([image])
    wait_for(qtbot, lambda: win.classify.results_shown > n, timeout=30_000)
    assert not win.classify_tab.banner.isVisible()


@pytest.fixture
def good_image(tmp_path):
    return write_image(tmp_path / "good.png", np.random.default_rng(0).integers(0, 255, (80, 100, 3), dtype=np.uint8))


def _open_each(qtbot, win, got, cases, files) -> dict:
    """Open ``files`` and step through them; each is a message, a class, or (finding the hand) "no hand"."""
    c = win.classify

    def answer(path, after):
        """The first answer about ``path`` after index ``after`` (a picture read again may come in between)."""
        return next(((k, r) for k, r in enumerate(got.items) if k > after and r.path == str(path)), (None, None))

    last = len(got.items) - 1
    c.open_paths(files)
    outcomes = {}
    for i, (case, path) in enumerate(zip(cases, files, strict=True)):
        if i:
            c.next_image()
        wait_for(qtbot, lambda path=path, last=last: answer(path, last)[0] is not None, timeout=60_000)
        settle(qtbot, 0.02)
        last, result = answer(path, last)
        banner = win.classify_tab.banner
        if result.error is not None:
            assert case.expect in ("error", "either"), f"{case.name}: {result.error}"
            assert banner.isVisible() and path.name in banner.text() and case.message in banner.text()
            assert "\n" not in banner.text()
            outcomes[case.name] = "message"
            continue
        assert case.expect in ("ok", "either"), f"{case.name} was classified; expected a message"
        assert not banner.isVisible()
        if result.no_hand:
            assert c.find_hands and result.prediction is None and win.classify_tab.results.top_label.state == "nohand"
            outcomes[case.name] = "no hand"
            continue
        assert result.prediction is not None
        assert abs(float(result.prediction.probabilities.sum()) - 1) < 1e-3
        assert result.model_input.shape == (64, 64, 3)
        outcomes[case.name] = "classified"
    return outcomes


def test_every_bad_image_is_a_message_and_the_window_keeps_working(make_window, qtbot, good_model, bad_images,
                                                                   huge_jpeg, good_image):
    win = make_window(model_path=good_model)
    c = win.classify
    got = Results()
    win.worker.result_ready.connect(got.add)
    cases = [case for case in IMAGE_CASES if case.name != "folder.jpg"] + [type(IMAGE_CASES[0])(huge_jpeg.name, "ok")]
    files = [bad_images.get(case.name, huge_jpeg) for case in cases]
    before = listing(files[0].parent)
    finding = _open_each(qtbot, win, got, cases, files)  # the hand finder meets every odd picture too
    win.set_find_hand(False)  # and in the user's box every readable one is classified
    outcomes = _open_each(qtbot, win, got, cases, files)
    assert {k for k, v in finding.items() if v == "message"} == {k for k, v in outcomes.items() if v == "message"}
    assert "no hand" not in outcomes.values()
    print(outcomes)
    assert listing(files[0].parent) == before
    # A folder with no images, and a "video" that is not one.
    empty = bad_images["folder.jpg"]
    c.open_paths([empty])
    assert "no images there" in win.classify_tab.banner.text()
    fake_video = bad_images["text_named.jpg"].parent / "lecture.mp4"
    fake_video.write_text("not a video")
    c.open_video(fake_video)
    wait_for(qtbot, lambda: "not a video OpenCV can read" in win.classify_tab.banner.text())
    assert win.classify_tab.banner.button.text() == "Retry"
    _still_works(qtbot, win, good_image)


def test_every_bad_model_is_a_message_and_the_old_model_stays(make_window, qtbot, good_model, bad_models,
                                                               good_image):
    win = make_window(model_path=good_model)
    for name, message in MODEL_CASES.items():
        win.model_error = None
        win.classify.load_model(bad_models[name])
        wait_for(qtbot, lambda: win.model_error is not None, timeout=60_000)
        text = win.classify_tab.model_banner.text()
        assert name in text and message in text and "\n" not in text, text
        assert win.classify.model_ready and win.classify.model_path == good_model
        assert win.model_tab.report.path == good_model
    assert not bad_models["_marker"].exists(), "code in a model file ran"
    _still_works(qtbot, win, good_image)


def test_bad_datasets_on_the_train_tab_are_messages(make_window, qtbot, tmp_path, good_model, good_image):
    from core.paths import collected_dir, models_dir

    win = make_window(model_path=good_model)
    tab = win.train_tab
    tab.builder = tiny_builder
    tab.epochs.setValue(1)
    for name in ("one_class", "empty_class", "h5_wrong_keys", "h5_labels_out_of_range"):
        tab.custom_folder = str(make_dataset_case(tmp_path / "data", name))
        tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("folder"))
        assert tab.start_training()
        wait_for(qtbot, lambda: not tab.running, timeout=120_000)
        text = tab.banner.text()
        assert text.startswith("Training failed: ") and DATASET_CASES[name] in text and "\n" not in text, text
        assert tab.start_button.isEnabled() and tab.outcome is None
    # Fine-tuning on collected samples whose classes the model does not have.
    rng = np.random.default_rng(1)
    for c in ("cat", "dog"):
        for i in range(4):
            write_image(collected_dir() / c / f"{i}.png", rng.integers(0, 255, (50, 50, 3), dtype=np.uint8))
    assert tab.start_finetune()
    wait_for(qtbot, lambda: not tab.running, timeout=120_000)
    assert "match the model's classes" in tab.banner.text()
    assert [p for p in models_dir().rglob("*") if p.is_file()] == [], "a failed training wrote a model"
    _still_works(qtbot, win, good_image)
