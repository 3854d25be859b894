"""One small training run in a fresh process, for tests/core/training/test_distribute.py.

``python -m tests.core.training.distributed_run MODE OUT`` with MODE ``single``
(one CPU device), ``mirrored`` (MirroredStrategy over two logical CPU devices,
configured before TensorFlow starts) or ``worker`` (MultiWorkerMirroredStrategy
from ``TF_CONFIG``).  Trains a depth-0 ResNet (the notebook's stages, no identity
blocks) for two epochs on the 1,080 SIGNS training images, read from the HDF5
file through the streaming path, and prints one line ``RESULT {json}``.
"""

from __future__ import annotations

import json
import os
import sys


def main(mode: str, out: str, data: str) -> None:
    import tensorflow as tf

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np

    from core.data.stream import load_streamed_dataset
    from core.model.files import load_model
    from core.model.resnet import ResNet50
    from core.training.session import TrainingSession
    from core.training.settings import TrainSettings

    train = load_streamed_dataset(os.path.join(data, "train_signs.h5"), (48, 48), val_split=0.0)
    test = load_streamed_dataset(os.path.join(data, "test_signs.h5"), (48, 48), val_split=0.0)
    ds = train
    ds.test = test.test

    def builder(shape, classes, settings):
        return ResNet50(shape, classes, depth=0, bn_momentum=0.9)

    settings = TrainSettings(epochs=2, batch_size=32, learning_rate=1e-3, schedule="constant", augment=False,
                             find_hand=False, val_split=0.0, distribute=mode != "single", seed=0,
                             precision="float32")  # the same maths on every run (one device would pick bf16)
    result = TrainingSession(ds, settings, out=out, builder=builder).run()
    loaded = None
    if result.model_path is not None:
        model, info = load_model(result.model_path)
        x = np.asarray(ds.test.x[:8]).astype(np.float32) / 255.0
        same = np.allclose(model(x, training=False).numpy(),
                           load_model(result.model_path)[0](x, training=False).numpy())
        loaded = {"classes": info.class_names, "params": int(model.count_params()), "same": bool(same)}
    print("RESULT " + json.dumps({
        "mode": mode, "status": result.status, "test_accuracy": result.run_card["test"]["accuracy"],
        "distribute": result.run_card.get("distribute"), "streamed": result.run_card.get("streamed"),
        "saved": None if result.model_path is None else str(result.model_path), "loaded": loaded,
        "losses": [e["loss"] for e in result.run_card["epochs"]],
    }), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
