"""The per-frame pass's precision: dynamic-range int8 by default, float32 on request, each checked and cached apart.

Real small Keras models saved to real files, converted by the full path
(``Classifier.load`` -> ``core.inference.fast.lite_forward``) into a real
cache folder, then read back by the TensorFlow-free path.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.inference.classifier import Classifier
from core.inference.lite import open_lite_classifier
from core.inference.precision import DEFAULT_PRECISION, PRECISION_ENV, check_tolerance, inference_precision
from core.model.files import ModelInfo, save_model
from tests.conftest import tiny_builder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the conversion is TensorFlow's")
    monkeypatch.setenv("HANDSIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    return tmp_path / "cache" / "tflite"


def _model_file(path, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    save_model(tiny_builder((32, 32, 3), 4), path, ModelInfo(list("abcd"), (32, 32), architecture="tiny"))
    return path


def _frames(n=6):
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(n)]


def _sidecars(cache):
    return {json.loads(p.read_text())["precision"]: p.with_suffix(".tflite") for p in cache.glob("*.json")}


def test_the_default_is_dynamic_int8_within_its_tolerance_of_keras(cache, tmp_path):
    assert inference_precision() == DEFAULT_PRECISION == "dynamic-int8"
    clf = Classifier.load(_model_file(tmp_path / "m.keras"))
    assert clf.engine == "tflite"
    for frame in _frames():
        x = clf.prepare(frame)[None] / np.float32(255)
        keras_out = np.asarray(clf.model(x, training=False))[0]
        got = clf.classify_frame(frame).probabilities
        assert np.abs(got - keras_out).max() <= check_tolerance("dynamic-int8")
    (entry,) = _sidecars(cache).items()
    assert entry[0] == "dynamic-int8"


def test_float32_on_request_is_exact_and_cached_beside_the_int8_entry(cache, tmp_path, monkeypatch):
    path = _model_file(tmp_path / "m.keras")
    Classifier.load(path)  # the default: dynamic-int8
    monkeypatch.setenv(PRECISION_ENV, "float32")
    clf = Classifier.load(path)
    for frame in _frames():
        x = clf.prepare(frame)[None] / np.float32(255)
        np.testing.assert_allclose(clf.classify_frame(frame).probabilities,
                                   np.asarray(clf.model(x, training=False))[0], atol=1e-5)
    entries = _sidecars(cache)
    assert set(entries) == {"dynamic-int8", "float32"}  # two keys: switching back and forth converts nothing
    assert entries["dynamic-int8"].stat().st_size < 0.5 * entries["float32"].stat().st_size
    lite32 = open_lite_classifier(path)
    monkeypatch.delenv(PRECISION_ENV)
    lite8 = open_lite_classifier(path)
    assert lite32 is not None and lite8 is not None
    for frame in _frames(3):
        a, b = lite32.classify_frame(frame).probabilities, lite8.classify_frame(frame).probabilities
        assert 0 < np.abs(a - b).max() <= check_tolerance("dynamic-int8")  # really two different passes


def test_the_tensorflow_free_path_serves_the_int8_entry_like_the_full_path(cache, tmp_path):
    path = _model_file(tmp_path / "m.keras", seed=1)
    full = Classifier.load(path)
    lite = open_lite_classifier(path)
    assert lite is not None and lite.engine == "litert"
    for frame in _frames():
        np.testing.assert_allclose(lite.classify_frame(frame).probabilities,
                                   full.classify_frame(frame).probabilities, atol=1e-4)


@pytest.mark.parametrize("asked, used", [("float32", "float32"), (" Float32 ", "float32"), ("dynamic-int8", "dynamic-int8"),
                                         ("", DEFAULT_PRECISION), ("int4", DEFAULT_PRECISION)])
def test_the_precision_switch(monkeypatch, asked, used):
    monkeypatch.setenv(PRECISION_ENV, asked)
    assert inference_precision() == used
