"""Learning the hand-shape head: from the landmarks of real Sign Language Digits photos, inside the model
file a run saves, continued by a fine-tune, and not made up where no hands were found."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest

from core.cli import main
from core.hands.shape import ENTRY, ShapeHead
from core.training.shape_fit import MIN_PER_CLASS, fit_shape_head, landmarks_of
from tests.conftest import write_image

CLASSES = [str(i) for i in range(6)]


def _photos(sld_dir, per_class: int, start: int = 0):
    from core.images import read_image

    files = [(c, f) for c in range(6) for f in sorted((sld_dir / str(c)).glob("*.JPG"))[start:start + per_class]]
    return np.stack([read_image(f) for _, f in files]), np.array([c for c, _ in files]), [f for _, f in files]


@pytest.fixture(scope="module")
def sld_marks(sld_dir):
    """Landmarks of 12 photos a class (people of the first files) and of 6 a class of later people."""
    train_x, train_y, _ = _photos(sld_dir, 12)
    test_x, test_y, _ = _photos(sld_dir, 6, start=90)
    return landmarks_of(train_x), train_y, landmarks_of(test_x), test_y


def test_a_head_learnt_from_real_landmarks_reads_other_peoples_hands(sld_marks):
    marks, y, test_marks, test_y = sld_marks
    assert (~np.isnan(marks).any(axis=(1, 2))).mean() > 0.9  # the finder places the joints on these photos
    head = fit_shape_head(marks, y, CLASSES, seed=0)
    assert head.card["hands"] >= 0.9 * len(y) and not head.card["continued"]
    found = ~np.isnan(test_marks).any(axis=(1, 2))
    accuracy = np.mean(head.probabilities(test_marks[found]).argmax(axis=1) == test_y[found])
    assert accuracy >= 0.7, accuracy  # chance is 1/6


def test_no_head_is_made_up_for_a_class_without_hands_but_a_continued_one_needs_only_the_classes_shown(sld_marks):
    marks, y, _, _ = sld_marks
    blind = marks.copy()
    blind[y == 5] = np.nan  # no hand found in any "5"
    blind[np.flatnonzero(y == 5)[: MIN_PER_CLASS - 1]] = marks[np.flatnonzero(y == 5)[: MIN_PER_CLASS - 1]]
    assert fit_shape_head(blind, y, CLASSES) is None
    base = fit_shape_head(marks, y, CLASSES)
    some = np.isin(y, (0, 2))  # a fine-tune on samples of two classes
    tuned = fit_shape_head(marks[some], y[some], CLASSES, init=base)
    assert tuned is not None and tuned.card["continued"] and tuned.card["per_class"][1] == 0
    assert fit_shape_head(marks[some], y[some], CLASSES) is None  # a new head needs every class


def _head_of(path) -> ShapeHead | None:
    with zipfile.ZipFile(path) as zf:
        return ShapeHead.from_bytes(zf.read(ENTRY)) if ENTRY in zf.namelist() else None


def test_a_fine_tune_continues_the_initial_models_head_on_the_samples_and_keeps_it_without_hands(
        tiny_model_file, sld_dir, sld_marks, tmp_path):
    from core.model.files import replace_entries

    marks, y, _, _ = sld_marks
    base = fit_shape_head(marks, y, CLASSES, seed=0)
    replace_entries(tiny_model_file, {ENTRY: base.to_bytes()})
    _, _, files = _photos(sld_dir, 4, start=60)
    samples = tmp_path / "samples"
    for f in files:
        (samples / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, samples / f.parent.name / f.name)
    out = tmp_path / "tuned.keras"
    assert main(["train", "--preset", "finetune", "--init-model", str(tiny_model_file), "--data", str(samples),
                 "--epochs", "1", "--out", str(out)]) == 0
    tuned = _head_of(out)
    # Placed by the full landmark model and by the lite one video uses: more hands than photos.
    assert tuned is not None and tuned.card["continued"] and len(files) < tuned.card["hands"] <= 2 * len(files)
    assert any(not np.allclose(a, b) for (a, _), (b, _) in zip(tuned.layers, base.layers, strict=True))

    noise = tmp_path / "noise"  # samples where no hand is found: the initial head, unchanged
    rng = np.random.default_rng(0)
    for c in CLASSES:
        for i in range(4):
            write_image(noise / c / f"{i}.jpg", rng.integers(0, 255, (80, 80, 3), dtype=np.uint8))
    out2 = tmp_path / "tuned_on_noise.keras"
    assert main(["train", "--preset", "finetune", "--init-model", str(tiny_model_file), "--data", str(noise),
                 "--epochs", "1", "--out", str(out2)]) == 0
    kept = _head_of(out2)
    assert kept is not None and kept.card == base.card
    for (a, b), (c, d) in zip(kept.layers, base.layers, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    card = json.loads(out2.with_suffix(".json").read_text())
    assert card["settings"]["shape_head"] is True


def test_a_new_model_without_hands_in_its_data_is_saved_without_a_head_and_quick_learns_none(tmp_path):
    from core.data.splits import Dataset, Split
    from core.training.presets import settings_for
    from core.training.reports import TrainingListener
    from core.training.session import TrainingSession
    from tests.conftest import tiny_builder

    rng = np.random.default_rng(1)
    x = rng.integers(0, 255, (24, 64, 64, 3), dtype=np.uint8)
    y = np.repeat(np.arange(6), 4)
    ds = Dataset(CLASSES, Split(x, y), Split(x[:0], y[:0]), Split(x[:0], y[:0]), "noise", "arrays")
    logs = []

    class Listener(TrainingListener):
        def on_log(self, message):
            logs.append(message)

    out = tmp_path / "new.keras"
    settings = settings_for("standard", epochs=1, val_split=0.0, test_split=0.0, find_hand=False)
    TrainingSession(ds, settings, Listener(), out=out, builder=tiny_builder).run()
    assert _head_of(out) is None and any("no hand-shape head" in m for m in logs)
    assert settings_for("quick").shape_head is False  # the classroom demo's minutes go to the network


def test_a_streamed_run_learns_its_head_too_from_a_bounded_sample(sld_dir, tmp_path, monkeypatch):
    from core.data.stream import load_streamed_dataset
    from core.training import shape_fit
    from core.training.session import TrainingSession
    from core.training.settings import TrainSettings
    from tests.conftest import tiny_builder

    _, _, files = _photos(sld_dir, 5, start=40)
    for f in files:
        (tmp_path / "tree" / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, tmp_path / "tree" / f.parent.name / f.name)
    ds = load_streamed_dataset(tmp_path / "tree", (64, 64), val_split=0.0, test_split=0.0, seed=0)
    monkeypatch.setattr(shape_fit, "MAX_IMAGES", 24)  # fewer than the 30 photos: a sample of them
    out = tmp_path / "streamed.keras"
    settings = TrainSettings(epochs=1, batch_size=8, augment=False, find_hand=False, val_split=0.0, test_split=0.0,
                             shape_head=True, seed=0)
    TrainingSession(ds, settings, out=out, builder=tiny_builder).run()
    head = _head_of(out)  # the fit-based run (core.training.distribute) saves it as the session's own loop does
    assert head is not None and head.card["of_images"] == 2 * 24 and head.card["hands"] > 24
