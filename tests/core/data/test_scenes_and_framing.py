"""Real photos behind the hand (SceneBank, the "rooms" augmentation) and the hand framing of datasets."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.augment import LEVELS, augment_batch, foreground_masks
from core.data.datasets import load_dataset
from core.data.scenes import SceneBank, is_eval_photo
from core.images import read_image
from tests.conftest import write_image


def _photos(folder, n=12):
    rng = np.random.default_rng(0)
    for i in range(n):
        img = np.zeros((300, 400, 3), np.uint8)
        img[:, :200] = rng.integers(0, 255, 3)
        img[:, 200:] = rng.integers(0, 255, 3)
        write_image(folder / f"room{i:02d}.png", img)
    return folder


def test_scene_bank_keeps_a_fifth_back_and_cuts_patches(tmp_path):
    folder = _photos(tmp_path / "bg", 20)
    train, held = SceneBank.from_folder(folder), SceneBank.from_folder(folder, part="eval")
    assert len(train) + len(held) == 20 and set(train.names).isdisjoint(held.names)
    assert all(is_eval_photo(n) for n in held.names)
    assert min(p.shape[0] for p in train.photos) == 256  # shrunk to the short side the patches need
    patch = train.patch(64, 64, np.random.default_rng(1))
    assert patch.shape == (64, 64, 3) and patch.dtype == np.float32
    assert SceneBank.from_folder(tmp_path / "missing") is None


def test_rooms_augmentation_puts_the_photos_behind_the_hand(tmp_path, signs_dir):
    import dataclasses

    folder = _photos(tmp_path / "bg")
    bank = SceneBank.from_folder(folder, part="all")
    palette = np.unique(np.concatenate([p.reshape(-1, 3) for p in bank.photos]), axis=0)
    hands = np.stack([read_image(p) for p in sorted((signs_dir / "test_signs").glob("*.jpg"))[:8]])
    masks = foreground_masks(hands)
    only_photos = dataclasses.replace(
        LEVELS["rooms"], background_prob=1.0, scene_prob=1.0, rotation_deg=0.0, scale=(1.0, 1.0), shift=0.0,
        flip=False, brightness=0.0, contrast=0.0, color=0.0, blur_prob=0.0, hue_deg=0.0, saturation=0.0,
        gamma=0.0, gray_prob=0.0, noise=0.0)
    out = augment_batch(hands, np.random.default_rng(0), only_photos, masks, bank)
    wall = (masks < 0.01)[..., None].repeat(3, axis=3)
    pixels = out[wall].reshape(-1, 3).astype(int)
    nearest = np.abs(pixels[:, None, :] - palette[None, :, :].astype(int)).max(axis=2).min(axis=1)
    assert len(pixels) > 1000 and np.mean(nearest <= 2) > 0.95  # the wall now shows the photos' colours
    synthetic = augment_batch(hands, np.random.default_rng(0), only_photos, masks, None)
    assert not np.array_equal(out, synthetic)


def test_a_dataset_read_with_hand_framing_is_cropped_to_the_hand(tmp_path, sld_dir):
    import cv2

    from core.hands.framing import HandFraming

    photo = read_image(sorted((sld_dir / "2").glob("*.JPG"))[0])
    for cls in ("2", "3"):
        frame = np.full((480, 640, 3), 90, np.uint8)
        frame[100:360, 20:280] = cv2.resize(photo, (260, 260))  # the hand at the left, not the centre
        write_image(tmp_path / "ds" / cls / "a.png", frame)
        write_image(tmp_path / "ds" / cls / "blank.png", np.full((480, 640, 3), 90, np.uint8))
    framing = HandFraming()
    framed = load_dataset(tmp_path / "ds", kind="folders", val_split=0.0, test_split=1.0, framing=framing)
    centred = load_dataset(tmp_path / "ds", kind="folders", val_split=0.0, test_split=1.0)
    assert framing.found == 1 and framing.missed == 1  # the same frame twice is looked at once
    with_hand = [i for i, f in enumerate(framed.test.files) if f.endswith("a.png")]
    blank = [i for i, f in enumerate(framed.test.files) if f.endswith("blank.png")]
    assert not np.array_equal(framed.test.x[with_hand[0]], centred.test.x[with_hand[0]])
    assert np.array_equal(framed.test.x[blank[0]], centred.test.x[blank[0]])  # no hand: the centre square
    assert "1 kept their centre square" in framing.summary()


@pytest.mark.parametrize("preset", ["quick", "standard", "ship", "finetune"])
def test_presets_train_on_hand_framed_data_except_the_notebook(preset):
    from core.training.presets import settings_for

    assert settings_for(preset).find_hand and not settings_for("notebook").find_hand
