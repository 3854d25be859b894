"""core.explain.features on real Keras models: a tiny ResNet built from the notebook's own blocks, the
notebook's ResNet-50 (block list and shapes) and the shipped model on a SIGNS image."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HandSignError
from core.explain.features import (
    HIST_EDGES,
    FeatureError,
    FeatureExtractor,
    activation_histogram,
    find_blocks,
    top_channels,
)
from tests.conftest import tiny_builder


def tiny_resnet(size: int = 32):
    """Two stages of the notebook's blocks at a few filters: res2a, res2b (16x16x8), res3a..res3c (8x8x16)."""
    import keras
    from keras import layers

    from core.model.resnet import convolutional_block, identity_block

    keras.utils.set_random_seed(3)
    inp = keras.Input((size, size, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", name="conv1")(inp)
    x = layers.BatchNormalization(name="bn_conv1")(x)
    x = layers.Activation("relu")(x)
    x = convolutional_block(x, 3, (4, 4, 8), 2, "a", s=1)
    x = identity_block(x, 3, (4, 4, 8), 2, "b")
    x = convolutional_block(x, 3, (4, 4, 16), 3, "a", s=2)
    for letter in "bc":
        x = identity_block(x, 3, (4, 4, 16), 3, letter)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(6, activation="softmax", name="fc6")(x)
    return keras.Model(inp, out, name="tiny_resnet")


def random_image(size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def tiny():
    return tiny_resnet()


def block_output(model, layer: str, image: np.ndarray) -> np.ndarray:
    """The named layer's output for ``image``, computed here without the extractor."""
    import keras

    probe = keras.Model(model.input, model.get_layer(layer).output)
    return np.asarray(probe(image[None].astype(np.float32) / 255.0, training=False))[0]


def test_blocks_of_a_tiny_resnet_in_network_order(tiny):
    blocks = find_blocks(tiny)
    assert [b.name for b in blocks] == ["res2a", "res2b", "res3a", "res3b", "res3c"]
    assert [b.shape for b in blocks] == [(16, 16, 8)] * 2 + [(8, 8, 16)] * 3
    assert blocks[3].label == "stage 3, block b - 8x8x16"
    assert all(type(tiny.get_layer(b.layer)).__name__ == "Activation" for b in blocks)


def test_the_notebook_resnet50_has_sixteen_blocks_with_the_notebook_shapes():
    from core.model.resnet import ResNet50

    blocks = find_blocks(ResNet50())
    assert len(blocks) == 16
    assert [b.name for b in blocks][:4] == ["res2a", "res2b", "res2c", "res3a"]
    assert blocks[-1].name == "res5c"
    by_stage = {b.stage: b.shape for b in blocks}
    assert by_stage == {2: (15, 15, 256), 3: (8, 8, 512), 4: (4, 4, 1024), 5: (2, 2, 2048)}
    assert [b.label for b in blocks if b.name == "res3b"] == ["stage 3, block b - 8x8x512"]


def test_extract_returns_the_top_channels_of_the_chosen_block(tiny):
    fx = FeatureExtractor(tiny, top_n=5, frozen=False)
    img = random_image()
    view = fx.extract(img, "res3b")
    assert view.block.name == "res3b"
    assert view.maps.shape == (5, 8, 8) and view.maps.dtype == np.float32
    expected = block_output(tiny, view.block.layer, img)
    means = expected.mean(axis=(0, 1))
    np.testing.assert_allclose(view.means, means[view.channels], rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(view.means) <= 0), "most active first"
    others = np.delete(means, view.channels)
    assert others.max() <= view.means.min() + 1e-6, "a channel left out is more active than one shown"
    for tile, ch in zip(view.maps, view.channels, strict=True):
        np.testing.assert_allclose(tile, expected[:, :, ch], rtol=1e-5, atol=1e-6)
    # Another block from the same extractor: its own shape, nothing rebuilt.
    other = fx.extract(img, "res2a", top_n=3)
    assert other.maps.shape == (3, 16, 16) and other.block.shape == (16, 16, 8)


def test_the_folded_pass_agrees_with_keras(tiny):
    img = random_image(seed=4)
    plain = FeatureExtractor(tiny, frozen=False).extract(img, "res3c")
    folded = FeatureExtractor(tiny, frozen=True).extract(img, "res3c")
    np.testing.assert_array_equal(plain.channels[:4], folded.channels[:4])
    np.testing.assert_allclose(folded.maps, plain.maps, rtol=1e-4, atol=1e-4)


def test_top_channels_order_with_ties_is_stable():
    a = np.zeros((2, 2, 5), np.float32)
    a[:, :, 0] = 1.0
    a[:, :, 1] = 3.0
    a[:, :, 2] = 1.0  # ties channel 0: the lower index comes first
    a[0, 0, 3] = 8.0  # mean 2.0
    maps, channels, means = top_channels(a, 4)
    assert channels.tolist() == [1, 3, 0, 2]
    np.testing.assert_allclose(means, [3.0, 2.0, 1.0, 1.0])
    assert maps.shape == (4, 2, 2) and maps[1, 0, 0] == 8.0
    assert top_channels(a, 50)[1].tolist() == [1, 3, 0, 2, 4]  # n beyond the channel count: all of them


def test_histogram_bins_are_fixed_and_counts_add_up():
    values = np.array([0.0, 0.0, -1.0, 1e-5, 5e-3, 0.5, 2.0, 50.0, 1e4], np.float32)
    h = activation_histogram(values, 3, "res3d")
    assert len(h.counts) == len(HIST_EDGES) - 1
    assert h.zeros == 3 and h.total == values.size
    assert h.zeros + int(h.counts.sum()) == values.size
    assert h.counts[0] == 1  # (0, 1e-3)
    assert h.counts[-1] == 1  # >= 100
    assert h.zero_fraction == pytest.approx(3 / 9)
    assert HIST_EDGES[0] == 0.0 and HIST_EDGES[1] == pytest.approx(1e-3) and np.isinf(HIST_EDGES[-1])


def test_every_stage_histogram_counts_every_element_on_the_same_edges(tiny):
    fx = FeatureExtractor(tiny)
    views = [fx.extract(random_image(seed=s), "res2b") for s in (1, 2)]
    for view in views:
        assert [(h.stage, h.block) for h in view.histograms] == [(2, "res2b"), (3, "res3c")]
        for h, n in zip(view.histograms, (16 * 16 * 8, 8 * 8 * 16), strict=True):
            assert h.total == n and h.zeros + int(h.counts.sum()) == n
            assert len(h.counts) == len(HIST_EDGES) - 1
            assert 0.0 <= h.zero_fraction <= 1.0
    assert not np.array_equal(views[0].histograms[0].counts, views[1].histograms[0].counts)


def test_a_block_the_model_lacks_is_a_one_line_error(tiny):
    fx = FeatureExtractor(tiny)
    with pytest.raises(FeatureError) as err:
        fx.extract(random_image(), "res4f")
    assert isinstance(err.value, HandSignError)
    assert "no block 'res4f'" in str(err.value) and "res3c" in str(err.value) and "\n" not in str(err.value)


def test_a_model_without_residual_blocks_is_a_one_line_error():
    with pytest.raises(FeatureError, match="has no residual blocks") as err:
        FeatureExtractor(tiny_builder((32, 32, 3), 6))
    assert "\n" not in str(err.value)


def test_a_wrong_sized_image_is_a_one_line_error(tiny):
    with pytest.raises(FeatureError, match="must be 32x32x3"):
        FeatureExtractor(tiny).extract(random_image(size=20), "res2a")


def test_the_shipped_model_on_a_signs_hand(signs_dir):
    """A trained net on a real hand: sixteen non-negative 8x8 maps, and ReLU zeros reported per stage."""
    from core.images import prepare, read_image
    from core.model.files import load_model
    from core.paths import shipped_model_path

    path = shipped_model_path()
    if not path.exists():
        pytest.skip("the shipped model is not there")
    model, info = load_model(path)
    image = prepare(read_image(sorted((signs_dir / "test_signs").glob("3_*.jpg"))[0]), info.input_size)
    view = FeatureExtractor(model).extract(image, "res3b")
    assert view.maps.shape == (16, 8, 8) and view.maps.min() >= 0.0
    assert [h.stage for h in view.histograms] == [2, 3, 4, 5]
    assert all(0.0 < h.zero_fraction < 1.0 for h in view.histograms)
