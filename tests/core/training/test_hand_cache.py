"""The hand regions of training photos, kept on disk: the finder looks at each photo once (issue #17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.hands.framing import HandFraming
from core.training.data import load_training_data
from core.training.hand_cache import CachedFraming, finder_version
from core.training.settings import TrainSettings


def _photos(signs_dir: Path, n: int = 4) -> list[np.ndarray]:
    files = sorted((signs_dir / "test_signs").glob("*.jpg"))[:n]
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def test_known_photos_are_answered_from_disk_without_the_finder(signs_dir, tmp_path):
    photos = _photos(signs_dir)
    first_finder = HandFraming()
    first = CachedFraming(first_finder, tmp_path)
    regions = [first(p) for p in photos]
    assert first_finder.found + first_finder.missed == len(photos)  # the real finder looked at each
    first.save()
    assert first.path.exists() and first.path.name == f"{finder_version()}.json"

    second_finder = HandFraming()
    second = CachedFraming(second_finder, tmp_path)
    assert [second(p) for p in photos] == regions
    assert second_finder.found + second_finder.missed == 0  # never asked
    assert second.reused == len(photos) and (second.found, second.missed) == (first.found, first.missed)
    assert f"{len(photos)} answered from the cache" in second.summary()


def test_a_changed_photo_is_searched_again(signs_dir, tmp_path):
    photo = _photos(signs_dir, 1)[0]
    CachedFraming(HandFraming(), tmp_path)(photo)
    finder = HandFraming()
    edited = photo.copy()
    edited[0, 0] ^= 1
    CachedFraming(finder, tmp_path)(edited)
    assert finder.found + finder.missed == 1


def test_a_damaged_cache_file_means_searching_again(signs_dir, tmp_path):
    photos = _photos(signs_dir, 2)
    cache = CachedFraming(HandFraming(), tmp_path)
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    cache.path.write_text("{not json", encoding="utf-8")
    finder = HandFraming()
    again = CachedFraming(finder, tmp_path)
    [again(p) for p in photos]
    again.save()
    assert finder.found + finder.missed == 2
    assert len(CachedFraming(HandFraming(), tmp_path)._read()) == 2  # rewritten whole


def test_training_data_loads_the_same_crops_with_and_without_the_cache(signs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDSIGN_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "few"
    for split in ("train_signs", "val_signs", "test_signs"):
        (source / split).mkdir(parents=True)
        for f in [f for label in "012" for f in sorted((signs_dir / split).glob(f"{label}_*.jpg"))[:2]]:
            (source / split / f.name).write_bytes(f.read_bytes())
    plain = load_training_data(source, TrainSettings(hand_cache=False))
    cold = load_training_data(source, TrainSettings(hand_cache=True))
    warm = load_training_data(source, TrainSettings(hand_cache=True))
    assert list((tmp_path / "cache" / "hands").glob("*.json"))
    for a, b, c in ((plain.train, cold.train, warm.train), (plain.test, cold.test, warm.test)):
        assert np.array_equal(a.x, b.x) and np.array_equal(b.x, c.x) and np.array_equal(a.y, c.y)
