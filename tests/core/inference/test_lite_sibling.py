"""The conversion shipped beside a model file (``python -m core.inference.prepare``).

A fresh cache with a checked sibling pair opens the TensorFlow-free engine at
once; a pair made for other bytes, or a damaged one, is ignored (the caller
falls back to the full path).  Real tiny models, real files.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.inference import lite_cache
from core.inference.lite import LiteClassifier, open_lite_classifier
from core.inference.prepare import main, prepare, sibling_is_current
from core.model.files import ModelInfo, save_model
from tests.conftest import tiny_builder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(folder))
    return folder / "tflite"


def _tensorflow_only():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the conversion needs TensorFlow Lite")


def _save(path, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    save_model(tiny_builder((32, 32, 3), 4), path, ModelInfo(list("abcd"), (32, 32), architecture="tiny"))
    return path


@pytest.fixture
def prepared(tmp_path, cache):
    _tensorflow_only()
    model = _save(tmp_path / "m.keras")
    assert prepare(model) is True
    return model


def test_a_fresh_cache_with_the_sibling_opens_the_lite_engine_at_once(prepared, cache):
    flatbuffer, sidecar = lite_cache.sibling_paths(prepared)
    assert flatbuffer.name == "m.tflite" and sidecar.name == "m.tflite.json"
    assert json.loads(sidecar.read_text())["checked"] is True
    assert not cache.exists() or not list(cache.glob("*"))  # prepare leaves the user's cache alone
    lite = open_lite_classifier(prepared)
    assert isinstance(lite, LiteClassifier) and lite.source == "sibling"
    from core.inference.classifier import Classifier, open_classifier

    assert open_classifier(prepared).engine == "litert"
    full = Classifier.load(prepared)
    frame = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    np.testing.assert_allclose(lite.classify_frame(frame).probabilities, full.classify_frame(frame).probabilities,
                               atol=1e-5)


def test_prepare_skips_a_current_sibling_and_the_cli_says_so(prepared, capsys):
    flatbuffer, _ = lite_cache.sibling_paths(prepared)
    stamp = flatbuffer.stat().st_mtime_ns
    assert prepare(prepared) is False and flatbuffer.stat().st_mtime_ns == stamp
    assert main([str(prepared)]) == 0
    assert capsys.readouterr().out.strip().endswith("m.tflite: up to date")


def test_a_sibling_for_other_bytes_is_ignored(prepared, tmp_path, cache):
    other = _save(tmp_path / "other" / "m.keras", seed=7)  # same name, other weights
    for src in lite_cache.sibling_paths(prepared):
        shutil.copy(src, other.parent / src.name)
    assert open_lite_classifier(other) is None and not sibling_is_current(other)
    from core.inference.classifier import open_classifier

    assert open_classifier(other).engine == "tflite"  # the full path, which converts for this file
    assert prepare(other) is True and open_lite_classifier(other, cache_folder=tmp_path / "empty").source == "sibling"


@pytest.mark.parametrize("damage", ["flatbuffer", "sidecar", "unchecked", "missing"])
def test_a_damaged_sibling_is_ignored(prepared, damage):
    flatbuffer, sidecar = lite_cache.sibling_paths(prepared)
    if damage == "flatbuffer":
        data = bytearray(flatbuffer.read_bytes())
        data[len(data) // 2] ^= 0xFF
        flatbuffer.write_bytes(bytes(data))
    elif damage == "sidecar":
        sidecar.write_text(sidecar.read_text()[:40])
    elif damage == "unchecked":
        record = json.loads(sidecar.read_text())
        record["checked"] = False
        sidecar.write_text(json.dumps(record))
    else:
        flatbuffer.unlink()
    assert open_lite_classifier(prepared) is None
    assert prepare(prepared) is True and open_lite_classifier(prepared).source == "sibling"  # the build repairs it


def test_prepare_names_a_missing_model_in_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "nope.keras")]) == 1
    assert capsys.readouterr().err.strip() == f"handsign: error: {tmp_path / 'nope.keras'}: no such model file"
