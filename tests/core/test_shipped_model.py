"""The model the app ships: small enough, self-describing, accurate, and its run card is its own."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from core.paths import shipped_model_path

MODEL = shipped_model_path()
CARD = MODEL.with_suffix(".json")

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason=f"no shipped model at {MODEL} yet")


def test_size_limit():
    assert MODEL.stat().st_size <= 50 * 1024 * 1024


def test_run_card_matches_model_file():
    from core.model.files import read_info

    card = json.loads(CARD.read_text())
    assert card["file_sha256"] == hashlib.sha256(MODEL.read_bytes()).hexdigest(), "run card describes another file"
    embedded = read_info(MODEL).run_card
    assert {k: v for k, v in card.items() if k != "file_sha256"} == embedded
    for key in ("settings", "epochs", "seed", "versions", "device", "duration_seconds", "evaluation"):
        assert key in card, key


def test_self_describing():
    from core.model.files import load_model

    model, info = load_model(MODEL)
    assert info.class_names == ["0", "1", "2", "3", "4", "5"] and info.input_size == (64, 64)
    assert model.count_params() == 23_600_006


def test_scores_on_signs_test_images(signs_dir):
    """CI check: >= 0.99 on the 120 SIGNS test photos, read from the JPEG files."""
    from core.data.datasets import load_dataset
    from core.inference.classifier import Classifier

    clf = Classifier.load(MODEL)
    test = load_dataset(signs_dir, kind="cs230").test
    probs = clf.probabilities(test.x)
    acc = float((probs.argmax(1) == test.y).mean())
    assert acc >= 0.99
    card = json.loads(CARD.read_text())
    assert abs(card["evaluation"]["signs_test"] - acc) <= 1 / 120 + 1e-9, "run card's accuracy is not this model's"
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-3)
