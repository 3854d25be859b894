"""What one training step of the notebook ResNet-50 costs by input side, batch size and precision.

``python -m bench.train_step [--steps 12]``: the quick preset's model as the session
builds it (zero-gamma, fused BatchNorm, fused Adam, ``train_on_batch``) in bfloat16 and
float32; each row its first step (tracing) and the median of ``--steps`` later steps on
random data.  Sides below 64 run on the twin that progressive resizing trains
(``core.training.fast.at_input_size``).  One process, rows in turn, so compare rows of
one run.  A 48-pixel image has 56 % of a 64-pixel one's pixels; where the steps do not
follow, smaller inputs cannot shorten the quick preset (docs/model.md, issue #17).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROWS = {"mixed_bfloat16": [(64, 16), (48, 16), (40, 16), (64, 32)], "float32": [(64, 16), (48, 16), (64, 32)]}


def _model(precision: str):
    import keras

    from core.model.resnet import ResNet50
    from core.training.fast import fuse_adam, fuse_batchnorm, with_precision

    keras.utils.set_random_seed(0)
    model = ResNet50((64, 64, 3), 6, zero_gamma=True, bn_momentum=0.9)
    if precision != "float32":
        model = with_precision(model, precision)
    fuse_batchnorm(model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fuse_adam(model.optimizer)
    return model


def _time_steps(model, side: int, batch: int, steps: int, rng) -> tuple[float, float]:
    x = rng.random((batch, side, side, 3), dtype="float32")
    y = rng.integers(0, 6, batch)
    t = time.perf_counter()
    model.train_on_batch(x, y)
    first = time.perf_counter() - t
    model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - t)
    return first, statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    import numpy as np

    from bench.common import cpu_model
    from core.training.fast import at_input_size

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=12)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"CPU: {cpu_model()}")
    print("| precision | side | batch | first step | step (median) | per image | per image vs 64 px, batch 16 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for precision, rows in ROWS.items():
        model = _model(precision)
        base = None
        for side, batch in rows:
            trainer = model if side == 64 else at_input_size(model, side)
            first, step = _time_steps(trainer, side, batch, args.steps, rng)
            per_image = step / batch
            base = base or per_image
            print(f"| {precision} | {side} | {batch} | {first:.1f} s | {step * 1000:.0f} ms | {per_image * 1000:.1f} ms "
                  f"| {per_image / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
