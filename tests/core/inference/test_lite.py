"""The TensorFlow-free classifier: used only on a checked cache entry for exactly this model file.

Real small Keras models saved with ``save_model``, converted and cached by the
full path (``Classifier.load``), then opened by ``open_lite_classifier`` from
real files; every way an entry can go wrong must give None (the caller then
falls back to the full path, which converts again).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from core.errors import ModelFileError
from core.inference import lite_cache
from core.inference.classifier import Classifier, open_classifier
from core.inference.lite import LiteClassifier, open_lite_classifier
from core.model.files import ModelInfo, save_model
from tests.conftest import tiny_builder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(folder))
    # The cache's bookkeeping, on the exact float32 pass so that probabilities compare with Keras to 1e-5
    # (the dynamic-int8 default and its tolerance: test_precision.py).
    monkeypatch.setenv("HANDSIGN_PRECISION", "float32")
    return folder / "tflite"


def _tensorflow_only():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the cache is filled by the TensorFlow Lite conversion")


def _save(path, seed=0, classes=("a", "b", "c", "d")):
    import keras

    keras.utils.set_random_seed(seed)
    save_model(tiny_builder((32, 32, 3), len(classes)), path, ModelInfo(list(classes), (32, 32), architecture="tiny"))
    return path


@pytest.fixture
def warm(tmp_path, cache):
    """A model file whose conversion the full path has cached, and that full classifier."""
    _tensorflow_only()
    path = _save(tmp_path / "m.keras")
    full = Classifier.load(path)
    assert full.engine == "tflite"
    return path, full


def _entry(cache):
    (flatbuffer,) = cache.glob("*.tflite")
    return flatbuffer, flatbuffer.with_suffix(".json")


def test_a_warm_cache_classifies_like_the_full_path(warm, cache):
    path, full = warm
    lite = open_lite_classifier(path)
    assert isinstance(lite, LiteClassifier) and lite.engine == "litert"
    assert lite.class_names == ["a", "b", "c", "d"] and lite.input_size == (32, 32)
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(4)]
    for frame in frames:
        np.testing.assert_array_equal(lite.prepare(frame, bgr=True), full.prepare(frame, bgr=True))
        got, expected = lite.classify_frame(frame).probabilities, full.classify_frame(frame).probabilities
        np.testing.assert_allclose(got, expected, atol=1e-5)
        keras_out = np.asarray(full.model(full.prepare(frame)[None] / np.float32(255), training=False))[0]
        np.testing.assert_allclose(got, keras_out, atol=1e-5)
    batch = np.stack([lite.prepare(f) for f in frames])
    np.testing.assert_allclose(lite.probabilities_in_batches(batch, batch_size=3), full.probabilities(batch), atol=1e-5)
    assert lite.probabilities(batch[:0]).shape == (0, 4)
    sidecar = json.loads(_entry(cache)[1].read_text())
    assert sidecar["checked"] is True and sidecar["model_file"]["size"] == path.stat().st_size
    assert sidecar["converter"].startswith("tensorflow ")


def test_open_classifier_picks_the_engine(warm, tmp_path):
    path, _ = warm
    assert open_classifier(path).engine == "litert"
    keras_one = open_classifier(path, need_keras=True)
    assert isinstance(keras_one, Classifier) and keras_one.model is not None
    cold = _save(tmp_path / "cold.keras", seed=1)
    assert open_classifier(cold).engine == "tflite"  # converted by the full path, which fills the cache...
    assert open_classifier(cold).engine == "litert"  # ...so the next open needs no TensorFlow


def test_no_entry_or_the_switch_gives_none(warm, tmp_path, monkeypatch):
    path, _ = warm
    assert open_lite_classifier(_save(tmp_path / "other.keras", seed=2)) is None
    monkeypatch.setenv("HANDSIGN_INFERENCE", "tensorflow")
    assert open_lite_classifier(path) is None


@pytest.mark.parametrize("damage", ["empty", "garbage", "half", "one byte"])
def test_a_damaged_flatbuffer_is_never_used_and_the_full_path_repairs_it(warm, cache, damage):
    path, _ = warm
    flatbuffer, _ = _entry(cache)
    good = flatbuffer.read_bytes()
    flatbuffer.write_bytes({
        "empty": b"",
        "garbage": b"not a flatbuffer" * 100,
        "half": good[: len(good) // 2],
        "one byte": good[:-100] + bytes([good[-100] ^ 0xFF]) + good[-99:],
    }[damage])
    assert open_lite_classifier(path) is None
    assert open_classifier(path).engine == "tflite"  # converted again and stored
    assert flatbuffer.read_bytes() == good
    assert open_lite_classifier(path) is not None


def test_a_sidecar_for_another_file_is_not_trusted(warm, cache, tmp_path):
    path, _ = warm
    other = _save(tmp_path / "other.keras", seed=3)
    Classifier.load(other)
    entries = {p.stem for p in cache.glob("*.tflite")}
    assert len(entries) == 2
    mine = lite_cache.model_file_id(path).key
    (theirs,) = entries - {mine}
    # Their (valid, checked) entry copied over ours: the sidecar names another file.
    for suffix in (".tflite", ".json"):
        (cache / f"{mine}{suffix}").write_bytes((cache / f"{theirs}{suffix}").read_bytes())
    assert open_lite_classifier(path) is None
    # Only the key edited to ours: the recorded model hash still names the other file.
    data = json.loads((cache / f"{theirs}.json").read_text())
    data["key"] = mine
    (cache / f"{mine}.json").write_text(json.dumps(data))
    assert open_lite_classifier(path) is None
    assert open_lite_classifier(other) is not None


def test_a_truncated_or_unchecked_sidecar_is_not_trusted(warm, cache):
    path, _ = warm
    _, sidecar = _entry(cache)
    text = sidecar.read_text()
    for bad in (text[: len(text) // 2], "", json.dumps({**json.loads(text), "checked": False}),
                json.dumps({**json.loads(text), "format": "handsign-tflite-cache/1"})):
        sidecar.write_text(bad)
        assert open_lite_classifier(path) is None
    sidecar.unlink()
    assert open_lite_classifier(path) is None
    Classifier.load(path)  # the flatbuffer still agrees with the model: the full path vouches for it again
    assert json.loads(sidecar.read_text())["checked"] is True
    assert open_lite_classifier(path) is not None


def test_a_model_file_changed_after_caching_is_not_served_from_the_old_entry(warm, cache, tmp_path):
    path, full = warm
    before = open_lite_classifier(path)
    frame = np.random.default_rng(9).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    old = before.classify_frame(frame).probabilities
    stat = path.stat()
    _save(path, seed=4)  # new weights in the same file, with the old modification time put back
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert open_lite_classifier(path) is None
    fresh = open_classifier(path)
    assert fresh.engine == "tflite"
    new = fresh.classify_frame(frame).probabilities
    assert not np.allclose(new, old, atol=1e-3)
    np.testing.assert_allclose(open_lite_classifier(path).classify_frame(frame).probabilities, new, atol=1e-5)


def test_a_damaged_model_file_gets_the_full_loaders_one_line_error(warm, cache):
    path, _ = warm
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert open_lite_classifier(path) is None
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        open_classifier(path)


def test_metadata_that_disagrees_with_the_flatbuffer_is_not_used(warm, cache):
    """A checked entry whose file's handsign.json names other classes (as if the recorded hash collided)."""
    import zipfile

    path, _ = warm
    file_id = lite_cache.model_file_id(path)
    lying = path.with_name("lying.keras")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(lying, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "handsign.json":
                data = json.dumps({**json.loads(data), "class_names": ["a", "b", "c"]}).encode()
            zout.writestr(item.filename, data)
    lying_id = lite_cache.model_file_id(lying)
    sidecar = json.loads(lite_cache.entry_paths(cache, file_id)[1].read_text())
    sidecar["key"] = lying_id.key
    sidecar["model_file"] = {"sha256": lying_id.sha256, "size": lying_id.size, "mtime_ns": lying_id.mtime_ns}
    flatbuffer, new_sidecar = lite_cache.entry_paths(cache, lying_id)
    flatbuffer.write_bytes(lite_cache.entry_paths(cache, file_id)[0].read_bytes())
    new_sidecar.write_text(json.dumps(sidecar))
    assert open_lite_classifier(lying) is None
    assert open_lite_classifier(path) is not None


def test_a_flatbuffer_that_disagrees_with_the_recorded_keras_output_is_not_used(warm, cache):
    path, _ = warm
    _, sidecar = _entry(cache)
    data = json.loads(sidecar.read_text())
    data["probe_output"] = [[v + 0.01 for v in data["probe_output"][0]]]
    sidecar.write_text(json.dumps(data))
    assert open_lite_classifier(path) is None
