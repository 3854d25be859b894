"""What a training run's first steps cost: Keras's own lazy build against ``core.training.prebuild``.

``python -m bench.first_step [--rounds 2]``: in fresh processes, alternately, the quick
preset's model as the session builds it (ResNet-50, zero-gamma, bfloat16 where the CPU has
it, fused BatchNorm and Adam, random batches of 16):

* ``keras``: compiled and trained at once: Keras creates the optimizer's and the metrics'
  variables inside the first traced step, so TensorFlow traces that step twice;
* ``prebuilt``: :func:`core.training.prebuild.build_for_training` first;
* ``one_trace``: prebuilt, then every step through :func:`core.training.step.step_for` (what
  a run does since 2026-12-03), traced once for any batch size.

Each worker reports the build, the first step, the median of ``--steps`` later steps, and the step
on a batch of 12 after them: the short last batch of a quick-preset epoch (1,020 images in
batches of 16), which ``train_on_batch`` traces again for its shape, once a run (topping it
up was measured and not taken: docs/model.md, "One trace per run").  Ratios are each
variant's medians over keras's, from the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = ("keras", "prebuilt", "one_trace")


def _worker(variant: str, steps: int) -> None:
    import keras
    import numpy as np

    from bench.common import emit
    from core.model.resnet import ResNet50
    from core.training.fast import fuse_adam, fuse_batchnorm, resolve_precision, with_precision
    from core.training.prebuild import build_for_training
    from core.training.step import step_for

    keras.utils.set_random_seed(0)
    model = ResNet50((64, 64, 3), 6, zero_gamma=True, bn_momentum=0.9)
    precision = resolve_precision("auto")
    if precision != "float32":
        model = with_precision(model, precision)
    fuse_batchnorm(model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fuse_adam(model.optimizer)
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 64, 64, 3), dtype="float32"), rng.integers(0, 6, 16)
    t = time.perf_counter()
    if variant != "keras":
        build_for_training(model, 6)
    train = step_for(model) if variant == "one_trace" else model.train_on_batch
    build = time.perf_counter() - t
    t = time.perf_counter()
    train(x, y)
    first = time.perf_counter() - t
    later = []
    for _ in range(steps):
        t = time.perf_counter()
        train(x, y)
        later.append(time.perf_counter() - t)
    t = time.perf_counter()
    train(x[:12], y[:12])
    short = time.perf_counter() - t
    emit({"variant": variant, "precision": precision, "build": build, "first": first,
          "step": statistics.median(later), "short_batch": short})


def main(argv: list[str] | None = None) -> int:
    from bench.common import cpu_model, run_worker

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.steps)
        return 0
    rows: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            rows[variant].append(run_worker("bench.first_step", ["--worker", variant, "--steps", str(args.steps)]))
    med = {v: {k: statistics.median(r[k] for r in rows[v]) for k in ("build", "first", "step", "short_batch")}
           for v in VARIANTS}
    print(f"CPU: {cpu_model()}; {rows['keras'][0]['precision']}, batch 16, medians of {args.rounds} fresh processes each")
    print("| | build before step 1 | step 1 | build + step 1 | later step | a batch of 12 after them |")
    print("| --- | --- | --- | --- | --- | --- |")
    for v in VARIANTS:
        m = med[v]
        print(f"| {v} | {m['build']:.1f} s | {m['first']:.1f} s | {m['build'] + m['first']:.1f} s "
              f"| {m['step'] * 1000:.0f} ms | {m['short_batch']:.1f} s |")
    k = med["keras"]
    for v in VARIANTS[1:]:
        m = med[v]
        print(f"| {v} / keras | | | {(m['build'] + m['first']) / (k['build'] + k['first']):.2f}x "
              f"| {m['step'] / k['step']:.2f}x | {m['short_batch'] / k['short_batch']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
