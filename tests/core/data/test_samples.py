"""core.data.samples: saving sample crops, listing, counting and deleting them, on real files."""

from __future__ import annotations

import numpy as np

from core.data.samples import (
    count_samples,
    delete_samples,
    extra_classes,
    list_images,
    save_sample,
    write_rgb,
)
from core.images import Region, read_image


def _gradient(h: int, w: int) -> np.ndarray:
    """An RGB image whose red channel is the column and green the row: crops can be located exactly."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :, 0] = np.arange(w, dtype=np.uint8)[None, :]
    img[:, :, 1] = np.arange(h, dtype=np.uint8)[:, None]
    img[:, :, 2] = 200
    return img


def test_save_sample_writes_the_region_crop_as_a_jpeg(tmp_path):
    path = save_sample(_gradient(120, 160), Region(40, 20, 60, 60), tmp_path / "3")
    assert path is not None and path.parent == tmp_path / "3" and path.suffix == ".jpg"
    crop = read_image(path)
    assert crop.shape == (60, 60, 3)
    # JPEG is lossy: the crop's corners still say where it came from, within a few levels.
    assert abs(int(crop[0, 0, 0]) - 40) <= 6 and abs(int(crop[0, 0, 1]) - 20) <= 6
    assert abs(int(crop[-1, -1, 0]) - 99) <= 6 and abs(int(crop[-1, -1, 1]) - 79) <= 6
    assert abs(int(crop[30, 30, 2]) - 200) <= 6  # RGB order kept (not written as BGR)


def test_big_crops_are_shrunk_and_names_never_collide(tmp_path):
    big = np.full((600, 800, 3), 90, np.uint8)
    paths = [save_sample(big, Region(0, 0, 600, 600), tmp_path, max_side=128) for _ in range(3)]
    assert len(set(paths)) == 3 and all(p.exists() for p in paths)
    assert read_image(paths[0]).shape == (128, 128, 3)


def test_an_unwritable_folder_is_none_not_an_exception(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert save_sample(_gradient(32, 32), Region(0, 0, 32, 32), blocker / "3") is None
    assert not write_rgb(blocker / "x.png", _gradient(8, 8))


def test_list_count_extra_and_delete(tmp_path):
    for name in ("img10.png", "img2.png", "img1.png", "notes.txt"):
        (tmp_path / "1" / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".png"):
            write_rgb(tmp_path / "1" / name, _gradient(8, 8))
        else:
            (tmp_path / "1" / name).write_text("x")
    (tmp_path / "7").mkdir()
    assert [p.name for p in list_images(tmp_path / "1")] == ["img1.png", "img2.png", "img10.png"]
    assert list_images(tmp_path / "missing") == []
    assert count_samples(tmp_path, ["0", "1", "7"]) == {"0": 0, "1": 3, "7": 0}
    assert extra_classes(tmp_path, ["0", "1"]) == ["7"]
    assert extra_classes(tmp_path / "missing", ["0"]) == []
    files = list_images(tmp_path / "1")
    assert delete_samples(files[:2], tmp_path / "1") == []
    assert count_samples(tmp_path, ["1"]) == {"1": 1}
    problems = delete_samples([files[2], tmp_path / "1" / "gone.png"], tmp_path / "1")
    assert len(problems) == 1 and "gone.png" in problems[0]
    assert (tmp_path / "1").exists()  # notes.txt is still there: the folder is not empty
    (tmp_path / "1" / "notes.txt").unlink()
    delete_samples([], tmp_path / "1")
    assert not (tmp_path / "1").exists()  # an empty class folder would stop a training
