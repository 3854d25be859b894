"""Preprocessing: any image layout in, the model's uint8 RGB input out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.errors import DataError
from core.images import Region, center_square, crop_resize, prepare, read_image, scale, to_rgb_uint8
from tests.conftest import write_image


def test_scale_is_notebook_division():
    x = np.array([[0, 127, 255]], np.uint8)
    np.testing.assert_allclose(scale(x), [[0.0, 127 / 255, 1.0]], rtol=1e-7)
    assert scale(x).dtype == np.float32


def test_bgr_and_alpha_and_gray():
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV order
    assert to_rgb_uint8(bgr, bgr=True)[0, 0].tolist() == [0, 0, 200]
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent -> white background
    assert to_rgb_uint8(rgba)[0, 0].tolist() == [255, 255, 255]
    rgba[..., 3] = 255
    assert to_rgb_uint8(rgba)[0, 0].tolist() == [255, 0, 0]
    gray = np.full((3, 5), 77, np.uint8)
    assert to_rgb_uint8(gray).shape == (3, 5, 3)
    assert to_rgb_uint8(np.full((2, 2), 65535, np.uint16))[0, 0].tolist() == [255, 255, 255]


def test_centre_square_and_region():
    r = center_square(640, 480)
    assert (r.x, r.y, r.w, r.h) == (80, 0, 480, 480)
    img = np.zeros((480, 640, 3), np.uint8)
    img[100:200, 300:400] = 255
    out = crop_resize(img, (64, 64), Region(300, 100, 100, 100))
    assert out.shape == (64, 64, 3) and out.min() == 255
    # A region partly outside the frame is clamped, not an error.
    assert crop_resize(img, (64, 64), Region(600, 450, 200, 200)).shape == (64, 64, 3)


def test_bad_arrays_are_clear_errors():
    with pytest.raises(DataError, match="expected an image"):
        to_rgb_uint8(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(DataError, match="expected an image"):
        to_rgb_uint8(np.zeros((0, 4, 3), np.uint8))


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.bool_, np.int32]),
        shape=st.tuples(st.integers(1, 90), st.integers(1, 90), st.sampled_from([0, 1, 3, 4])).map(
            lambda s: s[:2] if s[2] == 0 else s
        ),
    ),
    st.booleans(),
)
def test_prepare_any_layout_gives_model_input(image, bgr):
    out = prepare(image, (64, 64), bgr=bgr)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    x = scale(out[None])
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0


@pytest.mark.parametrize(
    "mode, shape",
    [("L", (30, 40)), ("RGBA", (30, 40, 4)), ("P", (30, 40)), ("I;16", (30, 40)), ("CMYK", None), ("LA", None)],
)
def test_read_image_modes(tmp_path, mode, shape):
    from PIL import Image

    base = Image.fromarray(np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8))
    if mode == "I;16":
        im = Image.fromarray(np.full((30, 40), 40000, np.uint16))
        suffix = ".png"
    else:
        im = base.convert(mode)
        suffix = ".tif" if mode == "CMYK" else ".png"
    path = tmp_path / f"img{suffix}"
    im.save(path)
    out = read_image(path)
    assert out.shape == (30, 40, 3) and out.dtype == np.uint8
    if mode == "I;16":
        assert out[0, 0, 0] == round(40000 / 65535 * 255)


def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    arr = np.zeros((20, 40, 3), np.uint8)  # landscape
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif)
    assert read_image(path).shape == (40, 20, 3)


def test_animated_gif_first_frame(tmp_path):
    from PIL import Image

    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    out = read_image(path)
    assert out.shape == (16, 16, 3) and out[0, 0, 0] > 200


@pytest.mark.parametrize("content", [b"", b"hello, not a jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20])
def test_unreadable_files_are_named(tmp_path, content):
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    with pytest.raises(DataError, match="broken.jpg"):
        read_image(path)


def test_truncated_jpeg(tmp_path):
    good = write_image(tmp_path / "good.jpg", np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = good.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cut.jpg"):
        read_image(cut)


def test_missing_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(DataError, match="folder"):
        read_image(tmp_path)
