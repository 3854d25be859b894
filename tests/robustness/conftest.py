"""Bad input, written by the tests: every kind of broken or odd image, model file and dataset.

Everything here is small and made in tmp folders (the 12000x12000 JPEG of one colour is 2 MB).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, tiny_builder, write_image
from tests.gui.conftest import make_window, signs_video  # noqa: F401  (real windows offscreen; a SIGNS video)

# ---------------------------------------------------------------------------------------------- images


@dataclass(frozen=True)
class BadImage:
    name: str  # file name (its suffix is what the user sees)
    expect: str  # "ok": classified; "error": a one-line reason naming the file; "either": one of the two
    message: str = ""  # part of the reason, for "error"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries almost no data (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        _png_chunk(b"IEND", b"")


IMAGE_CASES = [
    BadImage("zero_byte.jpg", "error", "not an image"),
    BadImage("text_named.jpg", "error", "not an image"),
    BadImage("truncated.jpg", "error", "damaged"),
    BadImage("truncated.png", "error", "damaged"),
    BadImage("corrupt_header.jpg", "error", ""),
    BadImage("corrupt_crc.png", "error", "damaged"),
    BadImage("corrupt_scan.jpg", "either"),  # flipped bytes in the compressed data: decodes to noise or fails
    BadImage("bomb_30000x30000.png", "error", "too large"),
    BadImage("folder.jpg", "error", "folder"),
    BadImage("missing.jpg", "error", "no such file"),
    BadImage("gray.jpg", "ok"),
    BadImage("gray.png", "ok"),
    BadImage("gray16.png", "ok"),
    BadImage("rgb48.png", "ok"),  # 16 bits per channel colour
    BadImage("float32.tif", "ok"),
    BadImage("cmyk.jpg", "ok"),
    BadImage("palette.png", "ok"),
    BadImage("palette_transparent.gif", "ok"),
    BadImage("rgba.png", "ok"),
    BadImage("gray_alpha.png", "ok"),
    BadImage("rgba.webp", "ok"),
    BadImage("animated.gif", "ok"),
    BadImage("png_named.jpg", "ok"),  # the content decides, not the suffix
    BadImage("one_pixel.png", "ok"),
    BadImage("strip_1x900.png", "ok"),
    BadImage("exif_rotated.jpg", "ok"),
]


def make_image_case(folder: Path, name: str) -> Path:
    from PIL import Image

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    rgb = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    if name == "zero_byte.jpg":
        path.write_bytes(b"")
    elif name == "text_named.jpg":
        path.write_text("these are my notes, not a photo\n")
    elif name in ("truncated.jpg", "truncated.png"):
        full = write_image(folder / ("full" + path.suffix), rgb)
        data = full.read_bytes()
        full.unlink()
        path.write_bytes(data[: len(data) // 2])
    elif name == "corrupt_header.jpg":
        path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(rng.integers(0, 255, 400, dtype=np.uint8)))
    elif name == "corrupt_crc.png":
        data = bytearray(write_image(path, rgb).read_bytes())
        i = data.index(b"IDAT") + 20
        data[i : i + 8] = b"\x00" * 8  # the chunk's CRC no longer matches
        path.write_bytes(bytes(data))
    elif name == "corrupt_scan.jpg":
        data = bytearray(write_image(path, rgb, quality=90).read_bytes())
        sos = data.index(b"\xff\xda")
        for i in range(sos + 40, len(data) - 10, 37):
            data[i] ^= 0x5A
        path.write_bytes(bytes(data))
    elif name == "bomb_30000x30000.png":
        path.write_bytes(_png_header_only(30_000, 30_000))
    elif name == "folder.jpg":
        path.mkdir()
    elif name == "missing.jpg":
        pass
    elif name == "gray.jpg" or name == "gray.png":
        write_image(path, rgb[:, :, 0])
    elif name == "gray16.png":
        Image.fromarray(rgb[:, :, 0].astype(np.uint16) * 257).save(path)
    elif name == "rgb48.png":
        import cv2

        assert cv2.imwrite(str(path), rgb.astype(np.uint16) * 257)
    elif name == "float32.tif":
        Image.fromarray(rgb[:, :, 1].astype(np.float32) / 255.0, mode="F").save(path)
    elif name == "cmyk.jpg":
        Image.fromarray(rgb).convert("CMYK").save(path)
    elif name == "palette.png":
        Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(path)
    elif name == "palette_transparent.gif":
        im = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        im.save(path, transparency=0)
    elif name == "rgba.png":
        write_image(path, np.dstack([rgb, rng.integers(0, 255, rgb.shape[:2], dtype=np.uint8)]))
    elif name == "gray_alpha.png":
        Image.fromarray(rgb).convert("LA").save(path)
    elif name == "rgba.webp":
        write_image(path, np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)]))
    elif name == "animated.gif":
        frames = [Image.fromarray(np.roll(rgb, i * 8, axis=1)) for i in range(5)]
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    elif name == "png_named.jpg":
        Image.fromarray(rgb).save(path, format="PNG")
    elif name == "one_pixel.png":
        write_image(path, rgb[:1, :1])
    elif name == "strip_1x900.png":
        write_image(path, rng.integers(0, 255, (1, 900, 3), dtype=np.uint8))
    elif name == "exif_rotated.jpg":
        im = Image.fromarray(rgb)
        exif = im.getexif()
        exif[0x0112] = 8
        im.save(path, exif=exif)
    else:  # pragma: no cover
        raise KeyError(name)
    return path


@pytest.fixture(scope="session")
def bad_images(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad_images")
    return {case.name: make_image_case(folder, case.name) for case in IMAGE_CASES}


@pytest.fixture(scope="session")
def huge_jpeg(tmp_path_factory) -> Path:
    """A 12000 x 12000 photo (144 M pixels): one colour, so the file is small (~2 MB)."""
    from PIL import Image

    path = tmp_path_factory.mktemp("huge") / "huge_12000x12000.jpg"
    Image.new("RGB", (12_000, 12_000), (200, 150, 100)).save(path, quality=80)
    return path


# ---------------------------------------------------------------------------------------------- models

MODEL_CASES = {
    # name: part of the one-line reason
    "truncated.keras": "damaged or truncated",
    "text_named.keras": "not a valid .keras model file",
    "zero_byte.keras": "not a valid .keras model file",
    "lambda_layer.keras": "refused",
    "lambda_writes_a_file.keras": "refused",
    "os_system_layer.keras": "not part of Keras",
    "unknown_custom_layer.keras": "MySwish",
    "weights_of_another_model.keras": "weights do not match",
    "vector_input.keras": "not an image classifier",
    "gray_input.keras": "not an image classifier",
    "two_outputs.keras": "not an image classifier",
    "any_size_input.keras": "input size is not fixed",
    "wrong_class_count.keras": "class names but the model has",
    "damaged_metadata.keras": "handsign.json is damaged",
    "damaged_config.keras": "could not load the model",
    "legacy.h5": "legacy HDF5",
}


def _rewrite_entry(src: Path, dst: Path, entry: str, fn) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == entry:
                data = fn(data)
            zout.writestr(item.filename, data)
    return dst


def _edit_first_activation(config: bytes, edit) -> bytes:
    cfg = json.loads(config)
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] == "Activation":
            edit(layer)
            break
    return json.dumps(cfg).encode()


def make_model_case(folder: Path, name: str, good: Path, marker: Path) -> Path:
    import keras

    from core.model.files import ModelInfo, save_model

    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    if name == "truncated.keras":
        data = good.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])
    elif name == "text_named.keras":
        path.write_text("my model, trust me\n")
    elif name == "zero_byte.keras":
        path.write_bytes(b"")
    elif name == "lambda_layer.keras":
        inp = keras.Input((64, 64, 3))
        x = keras.layers.Lambda(lambda t: t * 2.0)(inp)
        keras.Model(inp, keras.layers.Dense(6, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))).save(path)
    elif name == "lambda_writes_a_file.keras":
        marker_path = str(marker)

        def payload(t):  # would leave a marker file if the code ever ran
            open(marker_path, "w").write("code ran")  # noqa: SIM115
            return t

        inp = keras.Input((64, 64, 3))
        x = keras.layers.Lambda(payload)(inp)
        model = keras.Model(inp, keras.layers.Dense(6, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x)))
        model.save(path)
        marker.unlink(missing_ok=True)  # building the model above ran it once here, on purpose
    elif name == "os_system_layer.keras":
        def edit(layer):
            layer.update(module="os", class_name="system", registered_name=None, config={"command": f"touch {marker}"})

        _rewrite_entry(good, path, "config.json", lambda d: _edit_first_activation(d, edit))
    elif name == "unknown_custom_layer.keras":
        def edit(layer):
            layer.update(module="my_project.layers", class_name="MySwish", registered_name="MyProject>MySwish")

        _rewrite_entry(good, path, "config.json", lambda d: _edit_first_activation(d, edit))
    elif name == "weights_of_another_model.keras":
        other = folder / "other4.keras"
        tiny_builder((64, 64, 3), 4).save(other)
        with zipfile.ZipFile(good) as a, zipfile.ZipFile(other) as b, zipfile.ZipFile(path, "w") as z:
            for item in a.infolist():
                src = b if item.filename == "model.weights.h5" else a
                z.writestr(item.filename, src.read(item.filename))
        other.unlink()
    elif name == "vector_input.keras":
        inp = keras.Input((10,))
        keras.Model(inp, keras.layers.Dense(6, activation="softmax")(inp)).save(path)
    elif name == "gray_input.keras":
        save_model(tiny_builder((64, 64, 1), 6), path, ModelInfo([str(i) for i in range(6)], (64, 64)))
    elif name == "two_outputs.keras":
        inp = keras.Input((64, 64, 3))
        x = keras.layers.GlobalAveragePooling2D()(inp)
        keras.Model(inp, [keras.layers.Dense(6)(x), keras.layers.Dense(2)(x)]).save(path)
    elif name == "any_size_input.keras":
        tiny_builder((None, None, 3), 6).save(path)
    elif name == "wrong_class_count.keras":
        save_model(tiny_builder((64, 64, 3), 6), path, ModelInfo(["fist", "palm"], (64, 64)))
    elif name == "damaged_metadata.keras":
        _rewrite_entry(good, path, "handsign.json", lambda d: b'{"class_names": 5, "input_size": "big"}')
    elif name == "damaged_config.keras":
        _rewrite_entry(good, path, "config.json", lambda d: b"{not json")
    elif name == "legacy.h5":
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    else:  # pragma: no cover
        raise KeyError(name)
    return path


@pytest.fixture(scope="session")
def good_model(tmp_path_factory) -> Path:
    """A tiny saved 6-class model (session-wide: many tests only read it)."""
    from core.model.files import ModelInfo, save_model

    path = tmp_path_factory.mktemp("good_model") / "tiny.keras"
    save_model(tiny_builder((64, 64, 3), 6), path, ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny"))
    return path


@pytest.fixture(scope="session")
def bad_models(tmp_path_factory, good_model) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad_models")
    marker = folder.parent / f"{folder.name}-CODE-RAN"
    out = {name: make_model_case(folder, name, good_model, marker) for name in MODEL_CASES}
    out["_marker"] = marker
    return out


# ---------------------------------------------------------------------------------------------- datasets

DATASET_CASES = {
    # name: part of the one-line reason when training on it
    "one_class": "only one class",
    "empty_class": "is empty",
    "unreadable_class": "no readable images",
    "no_class_folders": "no class folders",
    "h5_wrong_keys": "expected datasets 'train_set_x'",
    "h5_wrong_shape": "must have shape (N, H, W, 3)",
    "h5_wrong_dtype": "must hold uint8 pixels",
    "h5_float_labels": "must hold integer labels",
    "h5_label_count": "one label per image",
    "h5_labels_out_of_range": "labels run from",
    "h5_not_hdf5": "not a readable HDF5",
    "h5_groups_not_datasets": "must be datasets, not groups",
}


def _h5(path: Path, **datasets) -> Path:
    import h5py

    with h5py.File(path, "w") as f:
        for k, v in datasets.items():
            if v is None:
                f.create_group(k)
            else:
                f.create_dataset(k, data=v)
    return path


def make_dataset_case(root: Path, name: str) -> Path:
    """A dataset folder (or, for h5 cases, a folder holding ``train_signs.h5``)."""
    rng = np.random.default_rng(len(name))
    d = root / name
    d.mkdir(parents=True)

    def img(i):
        return rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)

    x = rng.integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)
    y = np.arange(12, dtype=np.int64) % 2
    h5 = d / "train_signs.h5"
    if name == "one_class":
        for i in range(6):
            write_image(d / "fist" / f"{i}.png", img(i))
    elif name == "empty_class":
        for i in range(6):
            write_image(d / "fist" / f"{i}.png", img(i))
        (d / "palm").mkdir()
    elif name == "unreadable_class":
        for i in range(6):
            write_image(d / "fist" / f"{i}.png", img(i))
        (d / "palm").mkdir()
        for i in range(3):
            (d / "palm" / f"{i}.jpg").write_bytes(b"not a picture")
    elif name == "no_class_folders":
        for i in range(3):
            write_image(d / f"{i}.png", img(i))
    elif name == "h5_wrong_keys":
        _h5(h5, images=x, labels=y)
    elif name == "h5_wrong_shape":
        _h5(h5, train_set_x=x[..., 0], train_set_y=y)
    elif name == "h5_wrong_dtype":
        _h5(h5, train_set_x=x.astype(np.float32) / 255, train_set_y=y)
    elif name == "h5_float_labels":
        _h5(h5, train_set_x=x, train_set_y=y.astype(np.float32))
    elif name == "h5_label_count":
        _h5(h5, train_set_x=x, train_set_y=y[:5])
    elif name == "h5_labels_out_of_range":
        _h5(h5, train_set_x=x, train_set_y=y * 7, list_classes=np.array([b"0", b"1"]))
    elif name == "h5_not_hdf5":
        h5.write_text("this is not HDF5")
    elif name == "h5_groups_not_datasets":
        _h5(h5, train_set_x=None, train_set_y=None)
    else:  # pragma: no cover
        raise KeyError(name)
    return d


@pytest.fixture(scope="session")
def bad_datasets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad_datasets")
    return {name: make_dataset_case(root, name) for name in DATASET_CASES}


# ---------------------------------------------------------------------------------------------- helpers


def run_cli(*args, env=None, timeout=300, preexec=None, prefix=()):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([*prefix, sys.executable, "-m", "core", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=full_env, preexec_fn=preexec)


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip()]
