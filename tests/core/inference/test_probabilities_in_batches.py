"""``Classifier.probabilities_in_batches``: the one batched scoring loop of training, evaluation and tools."""

from __future__ import annotations

import numpy as np

from core.inference.classifier import Classifier
from core.model.files import ModelInfo
from tests.conftest import tiny_builder


def test_batches_give_the_same_probabilities_as_one_pass():
    clf = Classifier(tiny_builder((32, 32, 3), 4), ModelInfo(["a", "b", "c", "d"], (32, 32)))
    images = np.random.default_rng(1).integers(0, 255, (11, 32, 32, 3), dtype=np.uint8)
    whole = clf.probabilities(images)
    batched = clf.probabilities_in_batches(images, batch_size=4)
    assert batched.shape == (11, 4)
    np.testing.assert_allclose(batched, whole, rtol=1e-5, atol=1e-6)
    assert clf.probabilities_in_batches(images[:0]).shape == (0, 4)
