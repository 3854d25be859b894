"""The classifier: any frame in, per-class probabilities out; frame and batch paths agree."""

from __future__ import annotations

import numpy as np
import pytest

from core.images import Region
from core.inference.classifier import Classifier


@pytest.fixture
def clf(tiny_model_file):
    return Classifier.load(tiny_model_file)


@pytest.mark.parametrize("shape", [(480, 640, 3), (64, 64, 3), (100, 30), (50, 70, 4)])
def test_frames_of_any_size(clf, shape):
    frame = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    p = clf.classify_frame(frame)
    assert p.probabilities.shape == (6,)
    assert abs(float(p.probabilities.sum()) - 1.0) < 1e-4
    assert p.top_class in clf.class_names and 0 < p.confidence <= 1


def test_frame_and_batch_paths_agree(clf):
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(5)]
    batch = clf.probabilities_in_batches(np.stack([clf.prepare(f) for f in frames]))
    for f, b in zip(frames, batch, strict=True):
        np.testing.assert_allclose(clf.classify_frame(f).probabilities, b, atol=1e-5)


def test_bgr_frames_and_regions(clf):
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :, 0] = 255  # blue in BGR
    as_rgb = frame[:, :, ::-1].copy()
    np.testing.assert_allclose(
        clf.classify_frame(frame, bgr=True).probabilities, clf.classify_frame(as_rgb).probabilities, atol=1e-6
    )
    seen = clf.prepare(frame, Region(0, 0, 100, 100), bgr=True)
    assert seen.shape == (64, 64, 3) and seen[0, 0].tolist() == [0, 0, 255]


def test_prediction_dict_contract(clf):
    d = clf.classify_frame(np.zeros((64, 64, 3), np.uint8)).as_dict()
    assert set(d) == {"top_class", "confidence", "probabilities"}
    assert list(d["probabilities"]) == clf.class_names
