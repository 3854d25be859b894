"""Training levers, measured in one process, round-robin (A B C ... A B C ...).

Every variant gets its own compiled train step (``train_on_batch``) and the same
batches; a round runs ``--chunk`` steps of each variant in turn.  Medians over
rounds of the per-step time make the comparison robust to a shared machine.

    python -m bench.levers [--rounds 5] [--chunk 3] [--xla] [--variants a,b,...]

Variants:
  apps_f32       keras.applications.ResNet50 (the baseline model), float32
  ours_f32       our ResNet-50, Keras BatchNormalization, float32
  ours_f32_fbn   ... with the fused BatchNormalization kernel (core.training.fast.fuse_batchnorm)
  ours_bf16      ... Keras BN, mixed_bfloat16
  ours_bf16_fbn  ... fused BN, mixed_bfloat16 (the product default where the CPU has bf16)
  ours_bf16_fbn_b64  the same at batch 64 (per-image rate)
  ours_f32_xla   float32 with jit_compile=True (only with --xla: compiling takes minutes)
"""

from __future__ import annotations

import argparse
import time

from bench.common import emit, median, set_threads

ALL = ["apps_f32", "ours_f32", "ours_f32_fbn", "ours_bf16", "ours_bf16_fbn", "ours_bf16_fbn_b64"]


def build(name: str, classes: int = 6):
    import keras

    from core.model.resnet import ResNet50
    from core.training.fast import fuse_batchnorm, with_precision

    keras.utils.set_random_seed(0)
    if name.startswith("apps"):
        model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=classes)
    else:
        model = ResNet50((64, 64, 3), classes, init="he", bn_momentum=0.9)
    if "bf16" in name:
        model = with_precision(model, "mixed_bfloat16")
    if "fbn" in name:
        fuse_batchnorm(model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile="xla" in name)
    return model


def main(argv=None) -> None:
    import numpy as np

    p = argparse.ArgumentParser(prog="python -m bench.levers")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--chunk", type=int, default=3)
    p.add_argument("--variants", default=",".join(ALL))
    p.add_argument("--xla", action="store_true")
    p.add_argument("--intra", type=int, default=None)
    p.add_argument("--inter", type=int, default=None)
    args = p.parse_args(argv)
    set_threads(args.intra, args.inter)
    names = [v for v in args.variants.split(",") if v]
    if args.xla and "ours_f32_xla" not in names:
        names.append("ours_f32_xla")
    rng = np.random.default_rng(0)
    x8 = rng.integers(0, 256, (64, 64, 64, 3), dtype=np.uint8)
    y = rng.integers(0, 6, (64,))
    models, compile_s = {}, {}
    for n in names:
        t = time.perf_counter()
        models[n] = build(n)
        bs = 64 if n.endswith("b64") else 32
        models[n].train_on_batch(x8[:bs].astype("float32") / 255.0, y[:bs])  # trace + first step
        models[n].train_on_batch(x8[:bs].astype("float32") / 255.0, y[:bs])
        compile_s[n] = round(time.perf_counter() - t, 1)
    per_image: dict[str, list[float]] = {n: [] for n in names}
    cpu_per_image: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.rounds):
        for n in names:
            bs = 64 if n.endswith("b64") else 32
            xb = x8[:bs].astype("float32") / 255.0
            t, c = time.perf_counter(), time.process_time()
            for _ in range(args.chunk):
                models[n].train_on_batch(xb, y[:bs])
            per_image[n].append((time.perf_counter() - t) / (args.chunk * bs))
            cpu_per_image[n].append((time.process_time() - c) / (args.chunk * bs))
    out = {}
    base = median(per_image[names[0]])
    for n in names:
        med = median(per_image[n])
        out[n] = {
            "images_per_second": round(1.0 / med, 1),
            "cpu_seconds_per_image": round(median(cpu_per_image[n]), 4),
            "vs_first": round(base / med, 2),
            "setup_seconds": compile_s[n],
        }
    emit({"levers": out, "rounds": args.rounds, "chunk": args.chunk})


if __name__ == "__main__":
    main()
