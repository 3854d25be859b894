"""The heatmap engine (core.explain.cam) on real Keras models: a tiny ResNet built from the notebook's blocks,
and the shipped model where the property needs a trained network (faithfulness on SIGNS test)."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HandSignError


def tiny_resnet(input_shape=(64, 64, 3), classes=6, seed=0):
    """The notebook's layout with one block or two per stage and few filters: stage 3 ends 8x8, stage 4 4x4 at 64x64."""
    import keras
    from keras import layers

    from core.model.resnet import convolutional_block, identity_block

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=input_shape)
    x = layers.ZeroPadding2D((3, 3))(inputs)
    x = layers.Conv2D(8, (7, 7), strides=(2, 2), name="conv1")(x)
    x = layers.BatchNormalization(axis=3, name="bn_conv1")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = convolutional_block(x, 3, (4, 4, 16), 2, "a", s=1)
    x = identity_block(x, 3, (4, 4, 16), 2, "b")
    x = convolutional_block(x, 3, (8, 8, 32), 3, "a", s=2)
    x = identity_block(x, 3, (8, 8, 32), 3, "b")
    x = convolutional_block(x, 3, (8, 8, 64), 4, "a", s=2)
    x = identity_block(x, 3, (8, 8, 64), 4, "b")
    x = layers.AveragePooling2D((2, 2), name="avg_pool")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, activation="softmax", name=f"fc{classes}")(x)
    return keras.Model(inputs, x, name="tiny_resnet")


@pytest.fixture(scope="module")
def tiny():
    from core.device import import_backend_quietly

    import_backend_quietly()
    return tiny_resnet()


def picture(seed=1, size=64):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_block_outputs_are_found_and_labelled(tiny):
    from core.explain.cam import block_outputs, resolve_layer

    blocks = block_outputs(tiny)
    assert [b.block for b in blocks] == ["res2a", "res2b", "res3a", "res3b", "res4a", "res4b"]
    assert resolve_layer(tiny, "stage3").label == "stage 3 (res3b, 8x8)"
    assert resolve_layer(tiny, "stage 4").label == "stage 4 (res4b, 4x4)"
    assert resolve_layer(tiny, "res4a").block == "res4a"
    assert resolve_layer(tiny, None).block == "res4b"  # the default is the end of stage 4
    assert resolve_layer(tiny, blocks[0].layer_name).block == "res2a"  # the Keras layer name works too


@pytest.mark.parametrize(("layer", "side"), [("stage3", 8), ("stage4", 4)])
def test_map_shape_range_and_finite(tiny, layer, side):
    from core.explain.cam import HeatmapEngine

    cam = HeatmapEngine(tiny, layer).compute(picture())
    assert cam.map.shape == (side, side) and cam.map.dtype == np.float32
    assert np.isfinite(cam.map).all() and cam.map.min() >= 0.0 and cam.map.max() <= 1.0
    assert cam.map.max() == pytest.approx(1.0)  # normalised by its maximum (a random net still has a hot spot)
    assert cam.probabilities.shape == (6,) and cam.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_logits_match_the_model_and_top_class_is_default(tiny):
    from core.explain.cam import HeatmapEngine
    from core.images import scale

    img = picture(2)
    cam = HeatmapEngine(tiny, "stage4").compute(img)
    probs = np.asarray(tiny(scale(img[None]), training=False))[0]
    np.testing.assert_allclose(cam.probabilities, probs, atol=1e-4)  # the folded graph gives the model's answer
    assert cam.class_index == int(np.argmax(probs))


def test_map_changes_with_the_class_asked(tiny):
    from core.explain.cam import HeatmapEngine

    engine = HeatmapEngine(tiny, "stage3")
    img = picture(3)
    maps = [engine.compute(img, k) for k in range(6)]
    assert [m.class_index for m in maps] == list(range(6))
    assert max(float(np.abs(maps[0].map - m.map).max()) for m in maps[1:]) > 0.05


def test_layercam_is_available(tiny):
    from core.explain.cam import HeatmapEngine

    cam = HeatmapEngine(tiny, "stage4", method="layercam").compute(picture())
    assert cam.map.shape == (4, 4) and np.isfinite(cam.map).all() and 0.0 <= cam.map.min() <= cam.map.max() <= 1.0


def test_a_larger_input_gives_a_larger_map():
    from core.explain.cam import HeatmapEngine

    model = tiny_resnet((96, 96, 3), classes=4)
    engine = HeatmapEngine(model, "stage4")
    assert engine.layer.size == (6, 6) and engine.input_size == (96, 96)
    assert engine.compute(picture(size=96)).map.shape == (6, 6)
    with pytest.raises(HandSignError, match="96x96"):
        engine.compute(picture(size=64))


def test_missing_layer_and_class_are_one_line_errors(tiny):
    from core.explain.cam import HeatmapEngine

    with pytest.raises(HandSignError) as err:
        HeatmapEngine(tiny, "stage7")
    assert "stage7" in str(err.value) and "stage3, stage4" in str(err.value) and "\n" not in str(err.value)
    engine = HeatmapEngine(tiny, "stage4")
    with pytest.raises(HandSignError, match="class 6 does not exist"):
        engine.compute(picture(), 6)


def test_a_model_without_residual_blocks_is_refused():
    from core.explain.cam import HeatmapEngine
    from tests.conftest import tiny_builder

    with pytest.raises(HandSignError, match="no residual block outputs"):
        HeatmapEngine(tiny_builder((64, 64, 3), 6), "stage4")


def test_overlay_colours_where_the_map_is_hot():
    from core.explain.cam import overlay

    img = np.full((64, 64, 3), 128, np.uint8)
    heat = np.zeros((4, 4), np.float32)
    heat[0, 0] = 1.0
    out = overlay(img, heat)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert out[2, 2, 0] > out[60, 60, 0] + 40  # red where hot (JET), blue-ish where cold
    assert out[60, 60, 2] > out[60, 60, 0]


def test_faithfulness_drops_are_computed_with_a_fixed_seed(tiny):
    from core.explain.cam import HeatmapEngine
    from core.explain.faithfulness import faithfulness, hottest_mask, random_masks
    from core.inference.classifier import Classifier

    heat = np.zeros((4, 4), np.float32)
    heat[1, 2] = 1.0
    assert hottest_mask(heat, (64, 64)).sum() == round(0.2 * 64 * 64)
    a, b = random_masks((64, 64)), random_masks((64, 64))
    assert all((x == y).all() for x, y in zip(a, b, strict=True)) and len(a) == 3
    engine = HeatmapEngine(tiny, "stage4")
    clf = Classifier(tiny, None)  # probabilities() needs no ModelInfo
    img = picture(4)
    cam = engine.compute(img)
    s1 = faithfulness(clf.probabilities, img, cam.map, cam.class_index)
    s2 = faithfulness(clf.probabilities, img, cam.map, cam.class_index)
    assert s1 == s2 and -1.0 <= s1.deletion_drop <= 1.0 and -1.0 <= s1.random_drop <= 1.0


def test_deletion_beats_random_on_signs_test_with_the_shipped_model(signs_dir):
    """The property the maps must have: masking the hottest 20 % lowers the class more than a random 20 %."""
    from core.data.datasets import load_dataset
    from core.explain.cam import HeatmapEngine
    from core.explain.faithfulness import mean_drops
    from core.inference.classifier import Classifier
    from core.paths import shipped_model_path

    path = shipped_model_path()
    if not path.exists():
        pytest.skip(f"the shipped model {path} is not there")
    clf = Classifier.load(path)
    test = load_dataset(signs_dir, kind="cs230").test
    pick = np.concatenate([np.flatnonzero(test.y == c)[:4] for c in range(6)])  # 24 images, 4 a class
    for layer in ("stage3", "stage4"):
        result = mean_drops(HeatmapEngine(clf.model, layer), clf.probabilities, test.x[pick])
        assert result["n"] == 24
        assert result["deletion_drop"] > result["random_drop"], (layer, result)


@pytest.mark.parametrize("layer", ["stage3", "stage4", "res3a"])
def test_hand_written_gradient_matches_tensorflows(tiny, layer):
    """core.explain.backward replays the layers after the block; its maps equal the GradientTape ones."""
    from core.explain.cam import HeatmapEngine

    manual, auto = HeatmapEngine(tiny, layer), HeatmapEngine(tiny, layer, gradient="auto")
    assert manual.gradient == "manual" and auto.gradient == "auto"
    for seed, k in ((5, None), (6, 2), (7, 4)):
        img = picture(seed)
        a, b = manual.compute(img, k), auto.compute(img, k)
        assert a.class_index == b.class_index
        np.testing.assert_allclose(a.logits, b.logits, atol=1e-4)
        np.testing.assert_allclose(a.map, b.map, atol=1e-4)


def test_explaining_classifier_gives_the_maps_and_the_probabilities_in_one_pass(tiny):
    from core.explain.cam import ExplainingClassifier, HeatmapEngine
    from core.inference.classifier import Classifier
    from core.model.files import ModelInfo

    clf = Classifier(tiny, ModelInfo([str(i) for i in range(6)], (64, 64)))
    explaining = ExplainingClassifier(clf, HeatmapEngine(tiny, "stage4"), class_index=1)
    frame = np.random.default_rng(8).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    pred, model_input = explaining.classify_frame_and_input(frame)
    assert explaining.last is not None and explaining.last.class_index == 1 and model_input.shape == (64, 64, 3)
    np.testing.assert_allclose(pred.probabilities, clf.classify_frame(frame).probabilities, atol=1e-4)


def test_lite_pass_agrees_and_is_cached(tiny, tmp_path):
    """The engine's pass converted for TensorFlow Lite gives the TensorFlow maps; the conversion is cached and reused."""
    from core.explain.cam import HeatmapEngine
    from core.explain.lite_cam import cache_file_for
    from core.model.files import ModelInfo, save_model

    path = tmp_path / "tiny_resnet.keras"
    save_model(tiny, path, ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny_resnet"))
    reference, lite = HeatmapEngine(tiny, "stage3"), HeatmapEngine(tiny, "stage3")
    assert lite.use_lite(path)
    cached = cache_file_for(path, lite.layer.layer_name, "gradcam")
    assert cached.is_file()
    again = HeatmapEngine(tiny, "stage3")
    stamp = cached.stat().st_mtime_ns
    assert again.use_lite(path) and cached.stat().st_mtime_ns == stamp  # read from the cache, not converted again
    for seed, k in ((9, None), (10, 3)):
        img = picture(seed)
        want = reference.compute(img, k)
        for got in (lite.compute(img, k), again.compute(img, k)):
            assert got.class_index == want.class_index
            np.testing.assert_allclose(got.map, want.map, atol=1e-3)
            np.testing.assert_allclose(got.probabilities, want.probabilities, atol=1e-4)
