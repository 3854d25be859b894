"""Streaming from disk (core.data.stream, core.data.pipeline): the same images, labels and errors as loading."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from core.data.datasets import load_dataset
from core.data.stream import LazyImages, estimated_bytes, is_streamed, load_streamed_dataset, wants_streaming
from core.errors import DataError


def _tree(root, classes=("a", "b", "c"), per_class=7, seed=0):
    """Real image files of several sizes and formats (RGB, gray, alpha), one folder per class."""
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            h, w = int(rng.integers(50, 120)), int(rng.integers(50, 120))
            px = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            mode = ("RGB", "L", "RGBA")[i % 3]
            im = Image.fromarray(px).convert(mode)
            im.save(root / c / f"img_{i}.{'png' if mode != 'RGB' else 'jpg'}")
    return root


def _pipeline_arrays(split, batch_size=4, skipped=None):
    from core.data.pipeline import split_dataset

    xs, ys = [], []
    for xb, yb in split_dataset(split, batch_size, skipped=skipped).as_numpy_iterator():
        xs.append(xb)
        ys.append(yb)
    return np.concatenate(xs), np.concatenate(ys)


def _same(ds_mem, ds_lazy):
    assert ds_lazy.class_names == ds_mem.class_names
    for name in ("train", "val", "test"):
        mem, lazy = ds_mem.split(name), ds_lazy.split(name)
        assert isinstance(lazy.x, LazyImages)
        assert lazy.files == mem.files
        np.testing.assert_array_equal(lazy.y, mem.y)
        if not len(mem):
            continue
        x, y = _pipeline_arrays(lazy)
        np.testing.assert_array_equal(y, mem.y)
        np.testing.assert_array_equal(x, mem.x.astype(np.float32) / np.float32(255.0))


def test_class_folders_stream_the_same_images_and_labels(tmp_path):
    root = _tree(tmp_path / "tree")
    mem = load_dataset(root, (32, 32), val_split=0.2, test_split=0.2, seed=3)
    lazy = load_streamed_dataset(root, (32, 32), val_split=0.2, test_split=0.2, seed=3)
    assert is_streamed(lazy) and not is_streamed(mem)
    _same(mem, lazy)
    # lazy views stay lazy: taking and concatenating read nothing, reading gives the arrays
    both = np.concatenate([lazy.train.x, lazy.val.x])
    assert isinstance(both, LazyImages) and len(both) == len(mem.train) + len(mem.val)
    np.testing.assert_array_equal(np.asarray(both), np.concatenate([mem.train.x, mem.val.x]))
    small = lazy.with_small_val(1, seed=0)
    assert isinstance(small.train.x, LazyImages) and len(small.val) == 3


def test_hdf5_streams_the_same_images_and_labels(signs_dir):
    mem = load_dataset(signs_dir / "train_signs.h5", (64, 64), val_split=0.1, seed=1)
    lazy = load_streamed_dataset(signs_dir / "train_signs.h5", (64, 64), val_split=0.1, seed=1)
    assert lazy.train.x.items[0][0].h5 is not None  # read slice by slice, not as a whole array
    _same(mem, lazy)


def test_cs230_streams_the_same_labels(signs_dir):
    mem = load_dataset(signs_dir, (64, 64), kind="cs230", seed=0)
    lazy = load_streamed_dataset(signs_dir, (64, 64), kind="cs230", seed=0)
    for name in ("train", "val", "test"):
        assert lazy.split(name).files == mem.split(name).files
        np.testing.assert_array_equal(lazy.split(name).y, mem.split(name).y)
    np.testing.assert_array_equal(np.asarray(lazy.test.x[:8]), mem.test.x[:8])


def test_training_pipeline_augments_shuffles_and_keeps_every_image(tmp_path):
    from core.data.augment import STUDIO
    from core.data.pipeline import BatchAugmenter, split_dataset

    root = _tree(tmp_path / "tree", per_class=6)
    lazy = load_streamed_dataset(root, (32, 32), val_split=0.0, test_split=0.0)
    ds = split_dataset(lazy.train, 5, shuffle_seed=0, augmenter=BatchAugmenter(STUDIO, 0, 8))
    xs, ys = zip(*ds.as_numpy_iterator(), strict=True)
    y = np.concatenate(ys)
    assert sorted(y.tolist()) == sorted(lazy.train.y.tolist())
    assert not np.array_equal(y, lazy.train.y)  # shuffled
    x = np.concatenate(xs)
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0


def test_corrupt_image_is_skipped_with_a_warning_naming_it(tmp_path, caplog):
    from core.data.pipeline import SkippedImages

    root = _tree(tmp_path / "tree", per_class=4)
    bad = root / "b" / "img_9.jpg"
    bad.write_bytes(b"not a jpeg at all")
    lazy = load_streamed_dataset(root, (32, 32), val_split=0.0, test_split=0.0)
    skipped = SkippedImages()
    x, y = _pipeline_arrays(lazy.train, skipped=skipped)
    assert len(y) == len(lazy.train) - 1
    with caplog.at_level(logging.WARNING):
        assert len(skipped.drain()) == 1
        assert skipped.drain() == []  # each one logged once
    assert any("img_9.jpg" in r.getMessage() and "not an image" in r.getMessage() for r in caplog.records)


def test_empty_class_folder_is_the_same_one_line_error(tmp_path):
    root = _tree(tmp_path / "tree", per_class=3)
    (root / "empty").mkdir()
    with pytest.raises(DataError) as mem:
        load_dataset(root)
    with pytest.raises(DataError) as lazy:
        load_streamed_dataset(root)
    assert str(lazy.value) == str(mem.value) and "is empty" in str(lazy.value) and "\n" not in str(lazy.value)


def test_wrong_hdf5_key_is_the_same_one_line_error(tmp_path):
    import h5py

    path = tmp_path / "train_signs.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"] = np.zeros((4, 8, 8, 3), np.uint8)
        f["labels"] = np.zeros(4, np.int64)
    with pytest.raises(DataError) as mem:
        load_dataset(path)
    with pytest.raises(DataError) as lazy:
        load_streamed_dataset(path)
    assert str(lazy.value) == str(mem.value) and "'train_set_y'" in str(lazy.value)


def test_streaming_is_chosen_by_size_or_forced(tmp_path, monkeypatch):
    root = _tree(tmp_path / "tree", per_class=5)
    assert estimated_bytes(root, (64, 64)) == 15 * 64 * 64 * 3
    assert not wants_streaming("auto", root, (64, 64))
    monkeypatch.setenv("HANDSIGN_STREAM_BUDGET_MB", str(10 * 64 * 64 * 3 / 1024**2))
    assert wants_streaming("auto", root, (64, 64))
    assert wants_streaming("on", root, (64, 64)) and not wants_streaming("off", root, (64, 64))
    with pytest.raises(DataError, match="stream must be one of"):
        wants_streaming("sometimes", root, (64, 64))


def test_hand_framing_runs_once_per_image_and_matches_loading(tmp_path, signs_dir, monkeypatch):
    """Real SIGNS photos (real hands) in a class-folder tree: the streamed images, framed by the hand finder
    through the cache, equal the in-memory ones; a second listing reads every square from the cache."""
    import shutil

    from core.data.framing_cache import cache_file
    from core.hands.framing import HandFraming

    monkeypatch.setenv("HANDSIGN_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "tree"
    photos = sorted((signs_dir / "train_signs").iterdir())
    for label in ("0", "3"):
        (root / label).mkdir(parents=True)
        for p in [p for p in photos if p.name.startswith(f"{label}_")][:3]:
            shutil.copy(p, root / label / p.name)
    (root / "3" / "broken.jpg").write_bytes(b"not a photo")
    mem = load_dataset(root, (64, 64), val_split=0.0, test_split=0.0, framing=HandFraming())
    first = HandFraming()
    lazy = load_streamed_dataset(root, (64, 64), val_split=0.0, test_split=0.0, framing=first)
    assert first.found + first.missed == 6 and first.found >= 4  # every readable photo looked at once
    assert [f for f, _ in lazy.skipped] == [f for f, _ in mem.skipped] == [str(root / "3" / "broken.jpg")]
    assert lazy.train.files == mem.train.files
    np.testing.assert_array_equal(np.asarray(lazy.train.x), mem.train.x)
    assert cache_file(lazy.train).exists()
    again = HandFraming()
    lazy2 = load_streamed_dataset(root, (64, 64), val_split=0.0, test_split=0.0, framing=again)
    assert again.found + again.missed == 0  # every square from the cache; the unreadable photo is read again ...
    assert len(lazy2.skipped) == 1  # ... and skipped again
    np.testing.assert_array_equal(np.asarray(lazy2.train.x), mem.train.x)
