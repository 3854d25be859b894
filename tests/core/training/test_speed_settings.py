"""Speed settings (core.training.fast, core.inference.fast, TrainSettings.precision / fused_batchnorm): same maths, plain saved models.

Speed itself is measured in bench/, never here.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.splits import Dataset, Split
from core.errors import HandSignError
from core.inference import fast as infer_fast
from core.model.files import load_model
from core.training import fast as accel
from core.training.session import TrainingSession, TrainSettings
from tests.conftest import tiny_builder


def _bn_model(momentum=0.9):
    import keras

    inp = keras.Input((6, 6, 5))
    out = keras.layers.BatchNormalization(momentum=momentum, name="bn")(inp)
    return keras.Model(inp, out)


def _twins():
    import keras

    keras.utils.set_random_seed(3)
    a = _bn_model()
    a.get_layer("bn").gamma.assign(np.linspace(0.5, 2.0, 5).astype("float32"))
    a.get_layer("bn").beta.assign(np.linspace(-1.0, 1.0, 5).astype("float32"))
    b = keras.models.clone_model(a)
    b.set_weights(a.get_weights())
    return a, b


def test_fused_batchnorm_matches_keras_in_training_and_inference():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the fused kernel is a TensorFlow path")
    a, b = _twins()
    assert accel.fuse_batchnorm(b) == 1
    assert accel.fuse_batchnorm(b) == 0  # idempotent
    x = np.random.default_rng(0).normal(2.0, 3.0, (4, 6, 6, 5)).astype("float32")
    for training in (True, True, False):
        ya = np.asarray(a(x, training=training))
        yb = np.asarray(b(x, training=training))
        np.testing.assert_allclose(yb, ya, atol=2e-5, rtol=1e-5)
    # Same moving statistics after two training calls (biased variance, as Keras keeps it).
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wb, wa, atol=1e-5, rtol=1e-5)


def test_fused_batchnorm_keeps_the_layer_plain_and_traces_gradients(tmp_path):
    import keras
    import tensorflow as tf

    _, b = _twins()
    accel.fuse_batchnorm(b)
    layer = b.get_layer("bn")
    assert type(layer) is keras.layers.BatchNormalization
    path = tmp_path / "bn.keras"
    b.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)  # plain Keras, no custom objects
    assert type(reloaded.get_layer("bn")) is keras.layers.BatchNormalization
    x = tf.constant(np.random.default_rng(1).random((2, 6, 6, 5), dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(b(x, training=True) ** 2)
    grads = tape.gradient(loss, b.trainable_variables)
    assert all(g is not None and np.all(np.isfinite(g)) for g in grads)


def test_bfloat16_copy_computes_in_bf16_and_outputs_float32_probabilities():
    import keras

    model = tiny_builder((32, 32, 3), 4)
    fast = accel.with_precision(model, "mixed_bfloat16")
    assert fast is not model
    policies = {layer.name: layer.dtype_policy.name for layer in fast.layers if not isinstance(layer, keras.layers.InputLayer)}
    assert policies[fast.layers[-1].name] == "float32"  # softmax output stays float32
    assert any(p == "mixed_bfloat16" for p in policies.values())
    x = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    probs = fast(x, training=False)
    assert probs.dtype == "float32"
    np.testing.assert_allclose(np.asarray(probs).sum(axis=1), 1.0, atol=1e-5)
    # Variables stay float32, so the weights round-trip exactly.
    back = accel.with_precision(fast, "float32")
    for wa, wb in zip(model.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(np.asarray(back(x, training=False)), np.asarray(model(x, training=False)), atol=1e-6)
    assert accel.with_precision(model, "float32") is model


def test_precision_is_validated():
    with pytest.raises(HandSignError, match="precision"):
        TrainSettings(precision="float16").validate()
    assert accel.resolve_precision("float32") == "float32"
    assert accel.resolve_precision("auto", "gpu:0") == "float32"
    assert accel.resolve_precision("auto") in accel.PRECISIONS
    with pytest.raises(ValueError):
        accel.resolve_precision("bfloat16")


def _tiny_dataset(n_per_class=6, size=32, classes=3):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.integers(0, 256, (len(y), size, size, 3), dtype=np.uint8)
    x[..., 0] = (y[:, None, None] * 100).astype(np.uint8)  # learnable signal
    split = Split(x, y)
    return Dataset([f"c{i}" for i in range(classes)], split, split, split, "memory", "test")


def test_bfloat16_training_saves_a_float32_model(tmp_path):
    ds = _tiny_dataset()
    out = tmp_path / "m.keras"
    settings = TrainSettings(epochs=2, batch_size=6, precision="mixed_bfloat16", augment=False, seed=2)
    result = TrainingSession(ds, settings, out=out, builder=tiny_builder).run()
    assert result.run_card["precision"] == "mixed_bfloat16"
    assert result.run_card["settings"]["precision"] == "mixed_bfloat16"
    for path in (out, result.checkpoint_path):
        model, _ = load_model(path)
        assert {layer.dtype_policy.name for layer in model.layers[1:]} == {"float32"}
        probs = model(ds.test.x[:2].astype("float32") / 255.0, training=False)
        assert probs.dtype == "float32"
    # The test report is the saved float32 model's.
    model, _ = load_model(out)
    probs = np.asarray(model(ds.test.x.astype("float32") / 255.0, training=False))
    assert result.test_report["accuracy"] == pytest.approx(float(np.mean(probs.argmax(1) == ds.test.y)))


def test_float32_training_without_fused_batchnorm_is_the_plain_path(tmp_path):
    ds = _tiny_dataset()
    settings = TrainSettings(epochs=1, batch_size=6, precision="float32", fused_batchnorm=False, augment=False)
    session = TrainingSession(ds, settings, builder=tiny_builder)
    result = session.run()
    assert result.run_card["precision"] == "float32"
    assert not any(hasattr(layer.call, "__wrapped_plain_call__") for layer in session.model.layers)


def _conv_bn_model():
    """Conv2D -> BN pairs with and without conv bias, a residual add, and a BN that is not after a conv."""
    import keras
    from keras import layers

    inp = keras.Input((16, 16, 3))
    x = layers.BatchNormalization(name="bn_in")(inp)  # not after a conv: kept as it is
    a = layers.Conv2D(8, 3, padding="same", name="c1")(x)
    a = layers.BatchNormalization(name="bn1")(a)
    a = layers.Activation("relu")(a)
    b = layers.Conv2D(8, 1, use_bias=False, name="c2")(x)
    b = layers.BatchNormalization(name="bn2", epsilon=1e-5)(b)
    y = layers.Activation("relu")(layers.Add()([a, b]))
    y = layers.GlobalAveragePooling2D()(y)
    out = layers.Dense(4, activation="softmax")(y)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(5)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 2, n).astype("float32"))
            layer.beta.assign(rng.normal(0, 0.5, n).astype("float32"))
            layer.moving_mean.assign(rng.normal(0, 0.5, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.3, 3, n).astype("float32"))
    return model


def test_constant_forward_matches_the_model_in_inference_mode():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow path")
    model = _conv_bn_model()
    assert infer_fast._conv_bn_pairs(model) == {"c1": "bn1", "c2": "bn2"}
    before = [w.copy() for w in model.get_weights()]
    fn = infer_fast.constant_forward(model)
    x = np.random.default_rng(0).random((5, 16, 16, 3), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(fn(x)), np.asarray(model(x, training=False)), atol=2e-6, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(fn(x[:1])), np.asarray(model(x[:1], training=False)), atol=2e-6, rtol=1e-5)
    for a, b in zip(before, model.get_weights(), strict=True):  # the model itself is untouched
        np.testing.assert_array_equal(a, b)


def test_loaded_classifier_uses_the_frozen_path_and_agrees_with_the_model(tmp_path, monkeypatch):
    from core.inference.classifier import Classifier

    monkeypatch.setenv("HANDSIGN_PRECISION", "float32")  # the exact pass (the int8 default: test_precision.py)
    from core.model.files import ModelInfo, save_model

    model = _conv_bn_model()
    path = tmp_path / "m.keras"
    save_model(model, path, ModelInfo(["a", "b", "c", "d"], (16, 16), architecture="test"))
    clf = Classifier.load(path)
    images = np.random.default_rng(1).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    expected = np.asarray(clf.model(images.astype("float32") / 255.0, training=False))
    np.testing.assert_allclose(clf.probabilities(images), expected, atol=2e-6, rtol=1e-5)


def _saved_conv_bn_model(folder):
    from core.model.files import ModelInfo, save_model

    path = folder / "m.keras"
    save_model(_conv_bn_model(), path, ModelInfo(["a", "b", "c", "d"], (16, 16), architecture="test"))
    return path


def _tensorflow_only():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow Lite path")


def test_frames_go_through_tensorflow_lite_converted_once_then_cached(tmp_path, monkeypatch):
    from core.inference.classifier import Classifier

    _tensorflow_only()
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(cache))
    monkeypatch.setenv("HANDSIGN_PRECISION", "float32")  # the exact pass (the int8 default: test_precision.py)
    path = _saved_conv_bn_model(tmp_path)
    frames = np.random.default_rng(3).integers(0, 256, (4, 1, 16, 16, 3), dtype=np.uint8)

    first = Classifier.load(path)
    assert first.engine == "tflite" and first._forward.lite.source == "converted"
    entries = list((cache / "tflite").glob("*.tflite"))
    assert len(entries) == 1 and entries[0].stat().st_size > 0
    for x in frames:  # batch 1: TensorFlow Lite; agrees with the Keras model
        expected = np.asarray(first.model(x.astype("float32") / 255.0, training=False))
        np.testing.assert_allclose(first.probabilities(x), expected, atol=2e-6, rtol=1e-5)

    second = Classifier.load(path)
    assert second.engine == "tflite" and second._forward.lite.source == "cache"
    for x in frames:
        np.testing.assert_allclose(second.probabilities(x), first.probabilities(x), atol=1e-7)
    # Batches take the same pass, with the same answers.
    np.testing.assert_allclose(second.probabilities(frames[:, 0]), np.concatenate([first.probabilities(x) for x in frames]),
                               atol=2e-6, rtol=1e-5)


def test_a_damaged_cache_entry_is_converted_again(tmp_path, monkeypatch):
    from core.inference.classifier import Classifier

    _tensorflow_only()
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDSIGN_CACHE", str(cache))
    monkeypatch.setenv("HANDSIGN_PRECISION", "float32")  # compared with Keras to 2e-6 below
    path = _saved_conv_bn_model(tmp_path)
    Classifier.load(path)
    (entry,) = (cache / "tflite").glob("*.tflite")
    for damage in (b"", b"not a flatbuffer" * 100, entry.read_bytes()[: entry.stat().st_size // 2]):
        entry.write_bytes(damage)
        clf = Classifier.load(path)
        assert clf.engine == "tflite" and clf._forward.lite.source == "converted"
        x = np.full((1, 16, 16, 3), 128, np.uint8)
        expected = np.asarray(clf.model(x.astype("float32") / 255.0, training=False))
        np.testing.assert_allclose(clf.probabilities(x), expected, atol=2e-6, rtol=1e-5)
        assert entry.stat().st_size > len(damage)  # rewritten whole


def test_an_unwritable_cache_costs_only_time_and_the_switch_turns_tensorflow_lite_off(tmp_path, monkeypatch):
    from core.inference.classifier import Classifier

    _tensorflow_only()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("HANDSIGN_CACHE", str(blocker))
    path = _saved_conv_bn_model(tmp_path)
    assert Classifier.load(path).engine == "tflite"
    assert blocker.read_text() == "a file where the cache folder should be"
    monkeypatch.setenv("HANDSIGN_INFERENCE", "tensorflow")
    assert Classifier.load(path).engine == "tensorflow"


def test_prepare_crops_before_reordering_channels_with_the_same_pixels():
    from core.images import Region, crop_resize, prepare, to_rgb_uint8

    frame = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    for region in (None, Region(5, 3, 30, 30)):
        for bgr in (False, True):
            expected = crop_resize(to_rgb_uint8(frame, bgr=bgr), (16, 16), region)
            np.testing.assert_array_equal(prepare(frame, (16, 16), region=region, bgr=bgr), expected)


def test_fused_adam_takes_the_same_steps_as_keras_adam(tmp_path):
    import keras

    _tensorflow_only()
    rng = np.random.default_rng(0)
    shapes = [(3, 3, 3, 8), (8,), (40, 6)]
    start = [rng.normal(0, 0.1, sh).astype("float32") for sh in shapes]
    grads = [[rng.normal(0, 1e-2, sh).astype("float32") for sh in shapes] for _ in range(6)]
    finals = []
    for fused in (False, True):
        variables = [keras.Variable(w.copy()) for w in start]
        opt = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.CosineDecay(3e-3, 6, alpha=0.01))
        opt.build(variables)
        if fused:
            assert accel.fuse_adam(opt) is True
        for step in grads:
            opt.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
        finals.append([np.asarray(v.numpy()) for v in variables])
    for keras_w, fused_w, w0 in zip(*finals, start, strict=True):
        assert np.abs(keras_w - w0).max() > 1e-3  # the weights moved: the comparison means something
        np.testing.assert_allclose(fused_w, keras_w, rtol=1e-5, atol=1e-7)


def test_training_with_fused_adam_saves_a_plain_model(tmp_path):
    import keras

    from core.model.files import ModelInfo, save_model

    _tensorflow_only()
    x = np.random.default_rng(0).random((32, 16, 16, 3), dtype=np.float32)
    model = _conv_bn_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    assert accel.fuse_adam(model.optimizer)
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, np.arange(32) % 4, batch_size=8, epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 1e-5 for a, b in zip(model.get_weights(), before, strict=True))
    path = save_model(model, tmp_path / "fused.keras", ModelInfo(["a", "b", "c", "d"], (16, 16)))
    loaded, _ = load_model(path)  # still a plain Adam in the file: loads in safe mode
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0), atol=1e-6)


def test_fused_adam_leaves_other_optimizers_alone():
    import keras

    _tensorflow_only()
    for opt in (keras.optimizers.SGD(0.1), keras.optimizers.Adam(amsgrad=True), keras.optimizers.Adam(weight_decay=1e-4),
                keras.optimizers.AdamW()):
        assert accel.fuse_adam(opt) is False
        assert not getattr(opt.update_step, "__fused_adam__", False)
