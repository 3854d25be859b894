"""The hand-shape head: features that ignore where and how the hand is held, a head that survives its file,
and a second opinion that ``read_frame`` combines with the image classifier's.  Real photos, real models."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.errors import ModelFileError
from core.hands.shape import ENTRY, ShapeHead, combine, shape_features


def _turn(points: np.ndarray, degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = points.copy()
    out[:, :2] = points[:, :2] @ rot.T
    return out


def _random_head(seed: int = 0, classes=("0", "1", "2", "3", "4", "5")) -> ShapeHead:
    rng = np.random.default_rng(seed)
    sizes = [63, 16, 16, len(classes)]
    return ShapeHead([(rng.normal(0, 0.3, (a, b)), rng.normal(0, 0.1, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)],
                     list(classes), {"made": "test"})


def test_features_ignore_the_hands_place_size_turn_and_side_but_not_its_shape():
    rng = np.random.default_rng(3)
    hand = rng.uniform(100, 300, (21, 3))
    hand[:, 2] = rng.normal(0, 10, 21)
    base = shape_features(hand)
    moved = _turn(hand * 1.7, 35.0) + np.array([60.0, -40.0, 0.0])
    moved[:, 2] = hand[:, 2] * 1.7  # depth scales with the hand like x and y
    mirrored = hand * np.array([-1.0, 1.0, 1.0])
    for other in (moved, mirrored):
        np.testing.assert_allclose(shape_features(other), base, atol=1e-5)
    other_hand = hand.copy()
    other_hand[8, :2] += 40  # the index fingertip somewhere else
    assert np.abs(shape_features(other_hand) - base).max() > 0.05
    assert shape_features(np.stack([hand, other_hand])).shape == (2, 63)


def test_combine_is_the_renormalised_geometric_mean_so_a_class_must_suit_both():
    image = np.array([[0.6, 0.3, 0.1]])
    shape = np.array([[0.01, 0.8, 0.19]])
    both = combine(image, shape)
    expected = np.sqrt(image * shape) / np.sqrt(image * shape).sum()
    np.testing.assert_allclose(both, expected, rtol=1e-6)
    assert both.argmax() == 1 and abs(both.sum() - 1) < 1e-6  # the image's favourite is vetoed by the shape


def test_a_head_round_trips_through_bytes_and_refuses_damaged_or_foreign_ones():
    head = _random_head()
    marks = np.random.default_rng(1).uniform(0, 200, (4, 21, 3))
    again = ShapeHead.from_bytes(head.to_bytes())
    np.testing.assert_allclose(again.probabilities(marks), head.probabilities(marks), rtol=1e-6)
    assert again.class_names == head.class_names and again.card == {"made": "test"}
    with pytest.raises(ValueError, match="unreadable"):
        ShapeHead.from_bytes(head.to_bytes()[:200])
    buf = io.BytesIO()
    np.savez(buf, w0=np.zeros((10, 6)), b0=np.zeros(6), class_names=np.array(list("012345")), card=np.array("{}"))
    with pytest.raises(ValueError, match="do not follow on from 63"):
        ShapeHead.from_bytes(buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, w0=np.array([object()] * 3, dtype=object), b0=np.zeros(6), class_names=np.array(["0"]), card=np.array("{}"))
    with pytest.raises(ValueError, match="unreadable"):  # an object array would need unpickling: refused
        ShapeHead.from_bytes(buf.getvalue())
    nan = _random_head()
    nan.layers[0][0][0, 0] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        ShapeHead.from_bytes(nan.to_bytes())


def test_a_model_file_carries_its_head_and_a_damaged_or_mismatched_head_is_a_clear_error(tiny_model_file):
    from core.inference.classifier import Classifier
    from core.model.files import replace_entries

    assert Classifier.load(tiny_model_file).shape_head is None  # no head: pixels alone
    head = _random_head()
    replace_entries(tiny_model_file, {ENTRY: head.to_bytes()})
    loaded = Classifier.load(tiny_model_file).shape_head
    marks = np.random.default_rng(2).uniform(0, 200, (3, 21, 3))
    np.testing.assert_allclose(loaded.probabilities(marks), head.probabilities(marks), rtol=1e-6)
    replace_entries(tiny_model_file, {ENTRY: b"not a head"})
    with pytest.raises(ModelFileError, match="hand-shape head .* is damaged"):
        Classifier.load(tiny_model_file)
    replace_entries(tiny_model_file, {ENTRY: _random_head(classes=("a", "b")).to_bytes()})
    with pytest.raises(ModelFileError, match=r"names the classes \['a', 'b'\]"):
        Classifier.load(tiny_model_file)
    replace_entries(tiny_model_file, {ENTRY: None})
    assert Classifier.load(tiny_model_file).shape_head is None


def test_read_frame_combines_the_two_opinions_for_a_found_hand_and_not_without_finding(tiny_model_file, sld_dir):
    from core.hands.finder import HandFinder
    from core.hands.reading import read_frame
    from core.images import read_image
    from core.inference.classifier import Classifier
    from core.model.files import replace_entries

    replace_entries(tiny_model_file, {ENTRY: _random_head().to_bytes()})
    clf = Classifier.load(tiny_model_file)
    photo = read_image(sorted((sld_dir / "4").glob("*.JPG"))[0])
    reading = read_frame(clf, photo, finder=HandFinder(), still=True)
    p = reading.prediction
    alone = clf.classify_frame(photo, reading.region)
    np.testing.assert_allclose(p.image_probabilities, alone.probabilities, atol=1e-6)
    np.testing.assert_allclose(p.shape_probabilities, clf.shape_head.probabilities(reading.hand.landmarks)[0], rtol=1e-6)
    np.testing.assert_allclose(p.probabilities, combine(alone.probabilities, p.shape_probabilities), rtol=1e-5)
    d = reading.as_dict()
    assert d["hand"] is True and set(d["shape_probabilities"]) == set(d["image_probabilities"]) == set(clf.class_names)
    manual = read_frame(clf, photo)  # hand finding off: no landmarks, so the image classifier alone
    assert manual.prediction.shape_probabilities is None
    np.testing.assert_allclose(manual.prediction.probabilities, clf.classify_frame(photo).probabilities, atol=1e-6)
