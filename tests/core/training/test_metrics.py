"""The evaluation report against cases computed by hand: the confusion matrix's orientation,
per-class counts, the clipped cross-entropy loss, a class with no examples, and the printed text."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.training.metrics import classification_report, format_report

NAMES = ["a", "b", "c", "d"]
# Six images: true classes a a a b b c; class d has none (but one image is predicted as d).
LABELS = np.array([0, 0, 0, 1, 1, 2])
PROBS = np.array([
    [0.70, 0.20, 0.10, 0.00],  # a -> a
    [0.10, 0.80, 0.10, 0.00],  # a -> b
    [0.00, 0.30, 0.70, 0.00],  # a -> c, with probability 0 for its true class (the loss clips it)
    [0.20, 0.60, 0.20, 0.00],  # b -> b
    [0.50, 0.25, 0.25, 0.00],  # b -> a
    [0.10, 0.10, 0.30, 0.50],  # c -> d
])


@pytest.fixture
def report():
    return classification_report(PROBS, LABELS, NAMES)


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions(report):
    assert report["confusion_matrix"] == [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
    ]


def test_accuracy_and_count(report):
    assert report["n"] == 6
    assert report["accuracy"] == pytest.approx(2 / 6)
    assert report["class_names"] == NAMES


def test_loss_is_mean_cross_entropy_of_the_true_class_with_zero_clipped_to_1e_7(report):
    by_hand = -(math.log(0.7) + math.log(0.1) + math.log(1e-7) + math.log(0.6) + math.log(0.25) + math.log(0.3)) / 6
    assert report["loss"] == pytest.approx(by_hand, rel=1e-9)
    assert report["loss"] == pytest.approx(3.646408, abs=1e-6)


def test_per_class_counts_and_a_class_without_examples(report):
    assert report["per_class"] == {
        "a": {"n": 3, "correct": 1, "accuracy": pytest.approx(1 / 3)},
        "b": {"n": 2, "correct": 1, "accuracy": 0.5},
        "c": {"n": 1, "correct": 0, "accuracy": 0.0},
        "d": {"n": 0, "correct": 0, "accuracy": None},
    }


def test_report_is_plain_json(report):
    again = json.loads(json.dumps(report))
    assert again["per_class"]["a"]["accuracy"] == pytest.approx(1 / 3)
    assert type(report["per_class"]["a"]["accuracy"]) is float and type(report["loss"]) is float


def test_a_perfect_confident_model_has_accuracy_one_and_loss_zero():
    labels = np.array([2, 0, 1])
    report = classification_report(np.eye(3)[labels], labels, ["x", "y", "z"])
    assert report["accuracy"] == 1.0 and report["loss"] == pytest.approx(0.0, abs=1e-12)
    assert report["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_empty_split_has_no_scores_and_an_empty_matrix():
    report = classification_report(np.zeros((0, 2)), np.zeros(0, np.int64), ["x", "y"])
    assert report["n"] == 0 and math.isnan(report["accuracy"]) and math.isnan(report["loss"])
    assert report["confusion_matrix"] == [[0, 0], [0, 0]]
    assert report["per_class"]["x"] == {"n": 0, "correct": 0, "accuracy": None}


def test_mismatched_shapes_and_labels_out_of_range_are_clear_errors():
    with pytest.raises(ValueError, match=r"probabilities of shape \(6, 4\) do not match 6 labels and 3 classes"):
        classification_report(PROBS, LABELS, NAMES[:3])
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.3, got -1\.\.2"):
        classification_report(PROBS, np.array([0, 0, 0, 1, -1, 2]), NAMES)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.3, got 0\.\.4"):
        classification_report(PROBS, np.array([0, 0, 0, 1, 4, 2]), NAMES)


def test_format_report_prints_the_numbers_in_a_labelled_table(report):
    assert format_report(report).splitlines() == [
        "accuracy 0.3333  loss 3.6464  n 6",
        "",
        "per-class accuracy:",
        "  a      0.3333  (1/3)",
        "  b      0.5000  (1/2)",
        "  c      0.0000  (0/1)",
        "  d        n/a   (0/0)",
        "",
        "confusion matrix (rows: true, columns: predicted):",
        "            a     b     c     d",
        "  a         1     1     1     0",
        "  b         1     1     0     0",
        "  c         0     0     0     1",
        "  d         0     0     0     0",
    ]


def test_format_report_keeps_columns_aligned_for_long_class_names():
    report = classification_report(np.array([[0.9, 0.1]]), np.array([1]), ["thumbs_up", "v"])
    lines = format_report(report).splitlines()
    assert lines[3:5] == ["  thumbs_up   n/a   (0/0)", "  v         0.0000  (0/1)"]
    assert lines[-3:] == [
        "           thumbs_up         v",
        "  thumbs_up        0         0",
        "  v                1         0",
    ]


def test_no_hand_rows_are_wrong_outside_the_matrix_and_the_loss_and_counted():
    """Rows 0 (a, right) and 5 (c, wrong) had no hand: both count as wrong, neither enters the matrix or the loss."""
    no_hand = np.array([True, False, False, False, False, True])
    report = classification_report(PROBS, LABELS, NAMES, no_hand=no_hand)
    assert report["n"] == 6 and report["no_hand"] == 2
    assert report["accuracy"] == pytest.approx(1 / 6)  # only the b -> b row is right now
    assert report["confusion_matrix"] == [
        [0, 1, 1, 0],
        [1, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    by_hand = -(math.log(0.1) + math.log(1e-7) + math.log(0.6) + math.log(0.25)) / 4
    assert report["loss"] == pytest.approx(by_hand, rel=1e-9)
    assert report["per_class"]["a"] == {"n": 3, "correct": 0, "accuracy": 0.0, "no_hand": 1}
    assert report["per_class"]["c"] == {"n": 1, "correct": 0, "accuracy": 0.0, "no_hand": 1}
    assert report["per_class"]["b"]["no_hand"] == 0
    lines = format_report(report).splitlines()
    assert lines[1] == "no hand found in 2 of 6 images (counted wrong; not in the loss or the confusion matrix)"
    assert lines[4:6] == ["  a      0.0000  (0/3, 1 no hand)", "  b      0.5000  (1/2)"]


def test_every_row_without_a_hand_has_accuracy_zero_and_no_loss():
    report = classification_report(PROBS, LABELS, NAMES, no_hand=np.ones(6, bool))
    assert report["accuracy"] == 0.0 and math.isnan(report["loss"]) and report["no_hand"] == 6
    assert np.array(report["confusion_matrix"]).sum() == 0


def test_without_hand_finding_the_report_has_no_no_hand_keys(report):
    assert "no_hand" not in report and all("no_hand" not in pc for pc in report["per_class"].values())
    assert "no hand" not in format_report(report)
