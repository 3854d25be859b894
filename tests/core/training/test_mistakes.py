"""Misclassified images: the extraction shared by the training outcome and ``handsign evaluate``."""

from __future__ import annotations

import numpy as np

from core.training.mistakes import misclassified, save_error_gallery


def test_misclassified_picks_the_wrong_ones_with_their_names():
    images = np.arange(5, dtype=np.uint8)[:, None, None, None] * np.ones((5, 2, 2, 3), np.uint8)
    labels = np.array([0, 1, 2, 1, 0])
    predicted = np.array([0, 2, 2, 0, 0])
    wrong = misclassified(images, labels, predicted, ["zero", "one", "two"])
    assert wrong.indices.tolist() == [1, 3]
    assert wrong.images[:, 0, 0, 0].tolist() == [1, 3]
    assert wrong.true == ["one", "one"] and wrong.predicted == ["two", "zero"]


def test_no_predictions_means_no_mistakes_and_an_empty_gallery(tmp_path):
    images = np.zeros((3, 8, 8, 3), np.uint8)
    wrong = misclassified(images, np.array([0, 1, 0]), None, ["a", "b"])
    assert wrong.images.shape == (0, 8, 8, 3) and wrong.true == [] and wrong.predicted == []
    path = save_error_gallery(wrong.images, wrong.true, wrong.predicted, tmp_path / "none.png")
    assert path.stat().st_size > 0


def test_no_hand_is_a_mistake_named_no_hand_even_for_the_last_class():
    """-1 must not index the class names from the end (it would read as the last class)."""
    images = np.zeros((3, 4, 4, 3), np.uint8)
    wrong = misclassified(images, np.array([1, 1, 0]), np.array([-1, 1, -1]), ["a", "b"])
    assert wrong.indices.tolist() == [0, 2]
    assert wrong.predicted == ["no hand", "no hand"] and wrong.true == ["b", "a"]
