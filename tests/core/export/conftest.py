"""Export fixtures: a small real model saved as a Hand Sign Studio file, and a video to run webcam.py on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import tiny_builder


@pytest.fixture(scope="session")
def small_model_file(tmp_path_factory, signs_dir) -> Path:
    """A tiny 6-class CNN (with BatchNorm) trained briefly on SIGNS, so its predictions differ by image
    (an export that broke some classes or the BatchNorm statistics would then disagree with Keras)."""
    import keras

    from core.data.datasets import load_dataset
    from core.images import scale
    from core.model.files import ModelInfo, save_model

    keras.utils.set_random_seed(3)
    train = load_dataset(signs_dir, (64, 64)).train
    model = tiny_builder((64, 64, 3), 6)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(scale(train.x), train.y, epochs=12, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("export-model") / "small.keras"
    save_model(model, path, ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny"))
    return path


@pytest.fixture(scope="session")
def sign_video(tmp_path_factory, signs_dir) -> Path:
    """A short video of SIGNS test images, each enlarged and centred in a wider frame."""
    import cv2

    from core.data.datasets import load_dataset
    from tools.videos import write_test_video

    test = load_dataset(signs_dir, (64, 64)).test
    frames = []
    for image in test.x[::20]:
        frame = np.full((240, 320, 3), 200, np.uint8)
        frame[:, 40:280] = cv2.resize(image, (240, 240), interpolation=cv2.INTER_LINEAR)
        frames.append(frame)
    return write_test_video(tmp_path_factory.mktemp("export-video") / "signs.avi", frames)
