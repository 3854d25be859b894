"""Training throughput worker: images per second at batch 32 on 64x64 SIGNS, 6 classes.

Variants (``--variant``):

* ``baseline``: ``keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3),
  classes=6)`` compiled the plain way (``Adam()``, sparse categorical cross-entropy,
  accuracy) and fed with ``model.fit(x / 255, y, batch_size=32)`` - no augmentation.
* ``ours``: the product path, :class:`core.training.session.TrainingSession` with the
  given settings (augmentation on, as the presets train), stopped after
  ``--steps`` batches.
* ``proto``: our ResNet-50 in a bare ``model.fit`` with a chosen input feed, for
  isolating one lever at a time (``--feed``).  With the default feed (a Python
  generator of augmented batches) it is the product's training loop before
  2026-11-26, when ``TrainingSession`` still called ``fit`` on a generator.

The rate is measured between batch ends after ``--warmup`` batches (which
include tracing), i.e. steady state.  Run as ``python -m bench.train ...``.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import emit, load_signs, set_threads


class Timer:
    def __init__(self, batch_size: int, warmup: int, steps: int):
        self.batch_size, self.warmup, self.steps = batch_size, warmup, steps
        self.times: list[float] = []
        self.cpu: list[float] = []

    def tick(self) -> bool:
        """Record one batch end; True when enough batches were seen."""
        self.times.append(time.perf_counter())
        self.cpu.append(time.process_time())
        return len(self.times) >= self.warmup + self.steps

    def result(self) -> dict:
        t = self.times[self.warmup - 1 :] if self.warmup else self.times
        c = self.cpu[self.warmup - 1 :] if self.warmup else self.cpu
        n = len(t) - 1
        wall = t[-1] - t[0]
        per = [b - a for a, b in zip(t, t[1:], strict=False)]
        per.sort()
        return {
            "images_per_second": round(n * self.batch_size / wall, 2),
            "median_step_ms": round(1000 * per[len(per) // 2], 1),
            "steps": n,
            "cpu_share": round((c[-1] - c[0]) / wall / (os.cpu_count() or 1), 3),
            "first_steps_s": round(self.times[self.warmup - 1] - self.times[0], 2) if self.warmup > 1 else None,
        }


def keras_callback(timer: Timer):
    import keras

    class _T(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if timer.tick():
                self.model.stop_training = True

    return _T()


def run_baseline(args, ds) -> dict:
    import keras
    import numpy as np

    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=ds.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = ds.train.x.astype(np.float32) / 255.0
    timer = Timer(args.batch_size, args.warmup, args.steps)
    model.fit(x, ds.train.y, batch_size=args.batch_size, epochs=1000, callbacks=[keras_callback(timer)], verbose=0)
    return timer.result()


def run_ours(args, ds) -> dict:
    from core.data.splits import Dataset, Split
    from core.training.presets import settings_for
    from core.training.session import TrainingSession

    overrides = dict(batch_size=args.batch_size, epochs=1000, augment=not args.no_augment)
    for key in ("precision", "fused_batchnorm", "fused_optimizer"):
        val = getattr(args, key)
        if val is not None:
            overrides[key] = val if key == "precision" else bool(val)
    settings = settings_for("quick", **overrides)
    size = ds.image_size
    # No val/test images: only the training loop is measured.
    bench_ds = Dataset(ds.class_names, ds.train, Split.empty(size), Split.empty(size), ds.source, ds.kind)
    timer = Timer(args.batch_size, args.warmup, args.steps)

    class Listener:
        def on_batch(self, progress):
            if timer.tick():
                session.stop()

    session = TrainingSession(bench_ds, settings, Listener())
    session.run()
    return timer.result()


def run_proto(args, ds) -> dict:
    """Our model in a bare fit, one lever at a time."""
    import keras
    import numpy as np

    from core.data.augment import augment_batch
    from core.model.resnet import ResNet50
    from core.training.fast import fuse_adam, fuse_batchnorm, resolve_precision, with_precision

    keras.utils.set_random_seed(0)
    model = ResNet50((64, 64, 3), ds.num_classes, init="he", bn_momentum=0.9)
    precision = resolve_precision(args.precision) if args.precision else "float32"
    if precision != "float32":
        model = with_precision(model, precision)
    if args.fused_batchnorm:
        fuse_batchnorm(model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=bool(args.jit_compile))
    if args.fused_optimizer:
        fuse_adam(model.optimizer)
    x8, y = ds.train.x, ds.train.y
    bs = args.batch_size
    rng = np.random.default_rng(0)
    timer = Timer(bs, args.warmup, args.steps)
    cb = [keras_callback(timer)]
    steps = max(1, len(y) // bs)

    def gen(dtype):
        while True:
            order = rng.permutation(len(y))
            for i in range(steps):
                idx = order[i * bs : (i + 1) * bs]
                xb = x8[idx]
                if not args.no_augment:
                    xb = augment_batch(xb, rng)
                yield (xb.astype(np.float32) / 255.0 if dtype == "f32" else xb), y[idx]

    if args.feed == "array":
        model.fit(x8.astype(np.float32) / 255.0, y, batch_size=bs, epochs=1000, callbacks=cb, verbose=0)
    elif args.feed == "gen_f32":
        model.fit(gen("f32"), steps_per_epoch=steps, epochs=1000, callbacks=cb, verbose=0)
    else:
        raise SystemExit(f"unknown feed {args.feed}")
    return timer.result()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.train")
    p.add_argument("--variant", choices=["baseline", "ours", "proto"], required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--precision", default=None)
    p.add_argument("--jit-compile", type=int, default=0, help="proto only")
    p.add_argument("--fused-batchnorm", type=int, default=None, help="0 or 1 (default: the product's setting)")
    p.add_argument("--fused-optimizer", type=int, default=None, help="0 or 1 (default: the product's setting)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--feed", default="gen_f32")
    p.add_argument("--intra", type=int, default=None)
    p.add_argument("--inter", type=int, default=None)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    set_threads(args.intra, args.inter)
    ds = load_signs()
    fn = {"baseline": run_baseline, "ours": run_ours, "proto": run_proto}[args.variant]
    out = fn(args, ds)
    out.update(variant=args.variant, batch_size=args.batch_size, precision=args.precision,
               fused_batchnorm=args.fused_batchnorm, fused_optimizer=args.fused_optimizer, worker_seconds=round(time.perf_counter() - t0, 1))
    emit(out)


if __name__ == "__main__":
    main()
