"""Property-based tests (Hypothesis) of the preprocessing path, beyond tests/core/test_images.py:
files of every Pillow mode and format, uniform colours that must survive every dtype and layout, any
region, any model input size, arrays that must be refused cleanly, and the classifier on all of it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.errors import DataError
from core.images import Region, crop_resize, prepare, read_image, scale, to_rgb_uint8

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Which Pillow modes each format can store.
FORMATS = {
    "PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"],
    "TIFF": ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"],
    "JPEG": ["L", "RGB", "CMYK"],
    "BMP": ["1", "L", "P", "RGB"],
    "WEBP": ["RGB", "RGBA"],
    "GIF": ["L", "P"],
}
MODE_AND_FORMAT = st.sampled_from([(m, f) for f, modes in FORMATS.items() for m in modes])


def _pil_image(rgb: np.ndarray, mode: str):
    from PIL import Image

    base = Image.fromarray(rgb)
    if mode == "I;16":
        return Image.fromarray(rgb[:, :, 0].astype(np.uint16) * 257)
    if mode == "I":
        return Image.fromarray(rgb[:, :, 0].astype(np.int32) * 100, mode="I")
    if mode == "F":
        return Image.fromarray(rgb[:, :, 0].astype(np.float32) / 255.0, mode="F")
    return base.convert(mode)


@FAST
@given(
    h=st.integers(1, 200), w=st.integers(1, 200), mode_format=MODE_AND_FORMAT, seed=st.integers(0, 2**16),
    out=st.tuples(st.integers(8, 96), st.integers(8, 96)),
)
def test_any_mode_and_format_reads_as_rgb_at_its_size(tmp_path_factory, h, w, mode_format, seed, out):
    mode, fmt = mode_format
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    _pil_image(rgb, mode).save(buf, format=fmt)
    path = tmp_path_factory.mktemp("p") / f"img.{fmt.lower()}"
    path.write_bytes(buf.getvalue())
    img = read_image(path)
    assert img.dtype == np.uint8 and img.shape == (h, w, 3)
    if (mode, fmt) in (("RGB", "PNG"), ("RGB", "TIFF"), ("RGB", "BMP")):
        np.testing.assert_array_equal(img, rgb)  # lossless formats give the pixels back exactly
    if mode in ("L", "I;16", "I", "F", "1"):
        assert (img[:, :, 0] == img[:, :, 1]).all() and (img[:, :, 1] == img[:, :, 2]).all()  # gray stays gray
    x = prepare(img, out)
    assert x.shape == (*out, 3) and x.dtype == np.uint8


def _uniform(dtype, layout, h, w, level):
    """An image of one grey ``level`` (0..255) in ``dtype`` and ``layout``, and the uint8 value expected."""
    if dtype == np.uint8:
        v, expect = np.uint8(level), level
    elif dtype == np.uint16:
        v, expect = np.uint16(level * 257), level
    elif dtype == np.bool_:
        v, expect = bool(level >= 128), 255 if level >= 128 else 0
    elif dtype in (np.float16, np.float32, np.float64):
        v, expect = dtype(level / 255.0), level
    else:  # signed / wide ints hold 0..255 directly
        v, expect = dtype(level), level
    channels = {"gray2d": None, "gray": 1, "rgb": 3, "rgba_opaque": 4}[layout]
    shape = (h, w) if channels is None else (h, w, channels)
    arr = np.full(shape, v, dtype=dtype)
    if layout == "rgba_opaque":
        arr[..., 3] = {np.uint8: 255, np.uint16: 65535, np.bool_: True}.get(dtype, 1.0 if np.issubdtype(dtype, np.floating) else 255)
    return arr, expect


@FAST
@given(
    dtype=st.sampled_from([np.uint8, np.uint16, np.bool_, np.float16, np.float32, np.float64, np.int16, np.int32, np.int64]),
    layout=st.sampled_from(["gray2d", "gray", "rgb", "rgba_opaque"]),
    h=st.integers(1, 150), w=st.integers(1, 150), level=st.integers(0, 255), bgr=st.booleans(),
    out=st.tuples(st.integers(1, 80), st.integers(1, 80)),
)
def test_a_uniform_colour_survives_every_dtype_layout_and_size(dtype, layout, h, w, level, bgr, out):
    arr, expect = _uniform(dtype, layout, h, w, level)
    x = prepare(arr, out, bgr=bgr)
    assert x.shape == (*out, 3) and x.dtype == np.uint8
    tol = 2 if dtype == np.float16 else 1
    assert np.abs(x.astype(int) - expect).max() <= tol, (dtype, layout, level, np.unique(x))
    s = scale(x[None])
    assert s.dtype == np.float32 and np.abs(s - expect / 255.0).max() <= tol / 255.0 + 1e-6


@FAST
@given(h=st.integers(2, 120), w=st.integers(2, 120), seed=st.integers(0, 1000))
def test_bgr_is_the_channel_mirror_of_rgb(h, w, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    np.testing.assert_array_equal(prepare(img, (32, 32), bgr=True), prepare(img[:, :, ::-1].copy(), (32, 32)))


@FAST
@given(
    h=st.integers(1, 160), w=st.integers(1, 160),
    region=st.tuples(st.integers(-500, 500), st.integers(-500, 500), st.integers(-50, 600), st.integers(-50, 600)),
    out=st.tuples(st.integers(1, 96), st.integers(1, 96)),
)
def test_any_region_even_outside_the_frame_gives_the_model_input(h, w, region, out):
    img = np.random.default_rng(h * w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    x = crop_resize(img, out, Region(*region))
    assert x.shape == (*out, 3) and x.dtype == np.uint8


@FAST
@given(
    h=st.integers(20, 200), w=st.integers(20, 200), data=st.data(),
    colour=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)
def test_the_region_is_what_the_model_sees(h, w, data, colour):
    """Paint one patch; a region inside it gives exactly that colour whatever the rest of the frame is."""
    img = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    x0 = data.draw(st.integers(0, w - 4))
    y0 = data.draw(st.integers(0, h - 4))
    side = data.draw(st.integers(4, min(w - x0, h - y0)))
    img[y0 : y0 + side, x0 : x0 + side] = colour
    out = prepare(img, (16, 16), region=Region(x0, y0, side, side))
    assert (out == np.array(colour, np.uint8)).all()


BAD_ARRAYS = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 8), st.integers(1, 8), st.sampled_from([2, 5, 6]))),  # channels
    arrays(np.uint8, st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))),  # 4-D
    arrays(np.uint8, st.tuples(st.integers(1, 8))),  # 1-D
    arrays(np.uint8, st.tuples(st.just(0), st.integers(0, 8), st.sampled_from([1, 3]))),  # empty
    arrays(np.complex64, st.tuples(st.integers(1, 8), st.integers(1, 8), st.just(3))),
    st.builds(lambda n: np.array([["a"] * n] * n), st.integers(1, 5)),  # strings
    st.builds(lambda n: np.full((n, n, 3), None, dtype=object), st.integers(1, 5)),
    st.builds(lambda n: np.zeros((n, n), dtype="datetime64[s]"), st.integers(1, 5)),
)


@FAST
@given(BAD_ARRAYS, st.booleans())
def test_arrays_that_are_not_images_are_refused_with_a_data_error(arr, bgr):
    with pytest.raises(DataError) as info:
        prepare(arr, (64, 64), bgr=bgr)
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from core.inference.classifier import Classifier
    from core.model.files import ModelInfo, save_model
    from tests.conftest import tiny_builder

    path = tmp_path_factory.mktemp("clf") / "tiny.keras"
    save_model(tiny_builder((48, 40, 3), 4), path, ModelInfo(list("abcd"), (48, 40)))
    return Classifier.load(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    image=arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.bool_, np.int64]),
        shape=st.tuples(st.integers(1, 120), st.integers(1, 120), st.sampled_from([0, 1, 3, 4])).map(
            lambda s: s[:2] if s[2] == 0 else s),
    ),
    bgr=st.booleans(),
)
def test_the_classifier_gives_probabilities_for_any_image(classifier, image, bgr):
    assume(image.size > 0)
    p = classifier.classify_frame(image, bgr=bgr)
    assert p.probabilities.shape == (4,) and np.isfinite(p.probabilities).all()
    assert abs(float(p.probabilities.sum()) - 1.0) < 1e-4 and p.top_class in "abcd"
    np.testing.assert_array_equal(to_rgb_uint8(image).shape[:2], image.shape[:2])
