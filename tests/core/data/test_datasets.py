"""Every dataset source, read from real files: the shared SIGNS data and small bad files written here."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.data.formats import block_of_ten
from core.data.splits import stratified_split
from core.errors import DataError
from tests.conftest import write_image


def _img(seed=0, size=(20, 24)):
    return np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)


def test_signs_cs230_layout(signs_dir):
    ds = load_dataset(signs_dir, kind="cs230")
    assert (len(ds.train), len(ds.val), len(ds.test)) == (864, 216, 120)
    assert ds.class_names == ["0", "1", "2", "3", "4", "5"]
    assert ds.train.x.dtype == np.uint8 and ds.train.x.shape[1:] == (64, 64, 3)
    assert np.bincount(ds.test.y).tolist() == [20] * 6


def test_signs_hdf5_layout_matches_jpeg(signs_dir):
    h5 = load_dataset(signs_dir, kind="hdf5", val_split=0.0)
    jpg = load_dataset(signs_dir, kind="cs230")
    assert len(h5.train) == 1080 and len(h5.test) == 120
    assert h5.class_names == jpg.class_names
    # The same 120 test photos: every HDF5 image has a JPEG twin within JPEG rounding, same label.
    a = h5.test.x.reshape(120, -1).astype(np.float32)
    b = jpg.test.x.reshape(120, -1).astype(np.float32)
    dist = ((a[:, None, :] - b[None, :, :]) ** 2).mean(-1)
    nearest = dist.argmin(1)
    assert (h5.test.y == jpg.test.y[nearest]).all()
    assert np.sqrt(dist.min(1)).max() < 12


def test_single_h5_file(signs_dir):
    ds = load_dataset(signs_dir / "test_signs.h5")
    assert len(ds.test) == 120 and len(ds.train) == 0


def test_seeded_validation_split_is_reproducible(signs_dir):
    a = load_dataset(signs_dir, kind="hdf5", val_split=0.2, seed=3)
    b = load_dataset(signs_dir, kind="hdf5", val_split=0.2, seed=3)
    c = load_dataset(signs_dir, kind="hdf5", val_split=0.2, seed=4)
    assert len(a.val) == 216
    np.testing.assert_array_equal(a.val.y, b.val.y)
    assert a.val.files == b.val.files and a.val.files != c.val.files


def test_class_folders_resized_and_person_split(sld_dir):
    ds = load_dataset(sld_dir, (64, 64), classes=[str(i) for i in range(6)], val_split=0.2, test_split=0.2,
                      group_fn=block_of_ten)
    assert ds.ignored_classes == ["6", "7", "8", "9"]
    assert ds.train.x.shape[1:] == (64, 64, 3)
    persons = [set(s.groups.tolist()) for s in (ds.train, ds.val, ds.test)]
    assert not (persons[0] & persons[1]) and not (persons[0] & persons[2]) and not (persons[1] & persons[2])


def test_class_folder_tree_any_format(tmp_path):
    from PIL import Image

    for cls, mode in (("fist", "L"), ("palm", "RGBA"), ("peace", "P")):
        (tmp_path / "src" / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(_img(i)).convert(mode).save(tmp_path / "src" / cls / f"{i}.png")
    ds = load_dataset(tmp_path / "src", (32, 32), val_split=0.0, test_split=0.0)
    assert ds.class_names == ["fist", "palm", "peace"]
    assert len(ds.train) == 9 and ds.train.x.shape == (9, 32, 32, 3)


def test_corrupt_files_are_skipped_and_counted(tmp_path):
    for cls in ("a", "b"):
        for i in range(3):
            write_image(tmp_path / cls / f"{i}.jpg", _img(i))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"not really a jpeg")
    (tmp_path / "b" / "empty.png").write_bytes(b"")
    (tmp_path / "b" / "notes.txt").write_text("hello")
    ds = load_dataset(tmp_path, val_split=0.0, test_split=0.0)
    assert len(ds.train) == 6
    skipped = {p.split("/")[-1] for p, _ in ds.skipped}
    assert skipped == {"broken.jpg", "empty.png", "notes.txt"}
    assert "skipped 3" in ds.describe()


def test_empty_class_folder_is_an_error(tmp_path):
    write_image(tmp_path / "a" / "0.png", _img())
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError, match="'b' is empty"):
        load_dataset(tmp_path)


def test_one_class_is_an_error(tmp_path):
    for i in range(3):
        write_image(tmp_path / "only" / f"{i}.png", _img(i))
    with pytest.raises(DataError, match="only one class"):
        load_dataset(tmp_path, val_split=0.0, test_split=0.0)


def test_no_class_folders(tmp_path):
    write_image(tmp_path / "loose.png", _img())
    with pytest.raises(DataError, match="no class folders"):
        load_dataset(tmp_path)


def test_missing_source(tmp_path):
    with pytest.raises(DataError, match="no such dataset"):
        load_dataset(tmp_path / "nothing")


def _h5(path, **datasets):
    import h5py

    with h5py.File(path, "w") as f:
        for k, v in datasets.items():
            f.create_dataset(k, data=v)
    return path


@pytest.mark.parametrize(
    "contents, message",
    [
        (dict(images=np.zeros((2, 8, 8, 3), np.uint8)), "expected datasets 'train_set_x'"),
        (dict(train_set_x=np.zeros((2, 8, 8), np.uint8), train_set_y=np.zeros(2, np.int64)), r"shape \(N, H, W, 3\)"),
        (dict(train_set_x=np.zeros((2, 8, 8, 3), np.float32), train_set_y=np.zeros(2, np.int64)), "uint8"),
        (dict(train_set_x=np.zeros((2, 8, 8, 3), np.uint8), train_set_y=np.zeros(3, np.int64)), "one label per image"),
        (dict(train_set_x=np.zeros((2, 8, 8, 3), np.uint8), train_set_y=np.zeros(2, np.float32)), "integer labels"),
    ],
)
def test_bad_hdf5_is_a_clear_error(tmp_path, contents, message):
    path = _h5(tmp_path / "train_signs.h5", **contents)
    with pytest.raises(DataError, match=message):
        load_dataset(path)


def test_hdf5_label_row_vector_and_no_class_list(tmp_path):
    y = np.array([[0, 1, 1, 0]], np.int64)  # the notebook's (1, N) layout
    path = _h5(tmp_path / "train_signs.h5", train_set_x=np.zeros((4, 8, 8, 3), np.uint8), train_set_y=y)
    ds = load_dataset(path, (8, 8), val_split=0.0)
    assert ds.class_names == ["0", "1"] and ds.train.y.tolist() == [0, 1, 1, 0]


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "fake.h5"
    path.write_text("no")
    with pytest.raises(DataError, match="not a readable HDF5"):
        load_dataset(path)


def test_stratified_split_keeps_class_balance():
    y = np.repeat(np.arange(3), 20)
    val, rest = stratified_split(y, [0.25], seed=0)
    assert np.bincount(y[val]).tolist() == [5, 5, 5] and len(rest) == 45


def _toy_dataset(n_val_per_class=12, groups=False):
    from core.data.splits import Dataset, Split

    rng = np.random.default_rng(0)

    def split(n_per_class, offset):
        y = np.repeat(np.arange(3), n_per_class)
        x = rng.integers(0, 256, (len(y), 8, 8, 3), dtype=np.uint8)
        x[:, 0, 0, 0] = np.arange(len(y)) % 256  # tell images apart
        g = (offset + np.arange(len(y)) // 4) if groups else None  # persons of 4 images each
        return Split(x, y, [f"f{offset + i}" for i in range(len(y))], g)

    return Dataset(["a", "b", "c"], split(20, 0), split(n_val_per_class, 1000), split(5, 2000), "toy", "test")


def test_small_validation_moves_the_rest_into_training_and_never_touches_test():
    ds = _toy_dataset()
    small = ds.with_small_val(3, seed=1)
    assert np.bincount(small.val.y).tolist() == [3, 3, 3]
    assert len(small.train) == len(ds.train) + len(ds.val) - 9
    assert small.test is ds.test
    # Every validation image is in exactly one of the two, none lost or doubled.
    assert sorted(small.train.files[len(ds.train):] + small.val.files) == sorted(ds.val.files)
    assert not set(small.val.files) & set(small.train.files)
    assert small.with_small_val(3, seed=1).val.files == small.val.files  # nothing more to move
    assert ds.with_small_val(3, seed=1).val.files == small.val.files  # seeded
    assert ds.with_small_val(0) is ds and ds.with_small_val(50) is ds  # off, or nothing to move
    assert len(ds.val) == 36  # the original is untouched


def test_small_validation_keeps_persons_whole():
    ds = _toy_dataset(groups=True)
    small = ds.with_small_val(4, seed=0)
    assert all(n >= 4 for n in np.bincount(small.val.y).tolist())
    assert not set(small.val.groups.tolist()) & set(small.train.groups[len(ds.train):].tolist())
    assert len(small.val) + len(small.train) == len(ds.val) + len(ds.train)
