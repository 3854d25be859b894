"""Per-frame inference at lower precision: speed, share of the machine's matmul rate, and accuracy.

One process, TensorFlow loaded, the shipped model.  Each path runs the same
64x64 image at batch 1, alternately in rounds (the machine is shared), and
the table quotes p50 latency, GFLOP/s (one forward pass is 0.63 GFLOP) and
that rate as a fraction of this machine's float32 and bfloat16 matmul rates
(blocks of ten 1024x1024 TensorFlow matmuls, best block, as ``bench.matmul``
takes its best repeat, timed within the same rounds so that they see the same load).

Paths (all on the folded constant-weight graph, ``core.inference.fast``):

* ``tflite-float32``: TensorFlow Lite float32 on LiteRT (XNNPACK): the per-frame
  path until this bench (``HANDSIGN_PRECISION=float32``).
* ``tflite-dynamic-int8``: dynamic-range quantization (int8 weights; XNNPACK
  quantizes each activation tensor on the fly and runs int8 dot products): the
  per-frame path now.
* ``tflite-int8``: full-integer quantization calibrated on 200 SIGNS training
  images (float input and output), as ``handsign export --format tflite-int8``.
* ``tflite-float16``: float16 weights (dequantized at load).
* ``tf-float32`` / ``tf-bfloat16``: the TensorFlow graph (oneDNN), float32 and
  the model rebuilt under Keras's ``mixed_bfloat16`` policy (AVX-512 BF16 / AMX).

Accuracy: every path on SIGNS test as stored (64x64, no hand finding), and the
float32 / dynamic-int8 pair on the shipped model's evaluation splits (hand-framed, as ``tools.recipes score``;
``--backgrounds DIR`` adds the synthetic room splits): accuracy, predictions that
agree with float32 TensorFlow Lite, and the largest probability difference.

    python -m bench.precision [--rounds 30] [--backgrounds DIR] [--no-splits]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

from bench.common import RESULTS, cpu_model, data_dir, machine, percentile

FORWARD_GFLOP = 0.63
MODEL = Path(__file__).resolve().parent.parent / "assets" / "models" / "handsign_resnet50.keras"


def _converted(const_fn, kind: str, calibration: np.ndarray) -> bytes:
    import tensorflow as tf

    from core.inference.fast import convert_batch_one

    if kind == "tflite-int8":
        def representative():
            for i in range(len(calibration)):
                yield [calibration[i : i + 1]]

        def configure(c):
            c.optimizations = [tf.lite.Optimize.DEFAULT]
            c.representative_dataset = representative
            c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif kind == "tflite-float16":
        def configure(c):
            c.optimizations = [tf.lite.Optimize.DEFAULT]
            c.target_spec.supported_types = [tf.float16]
    else:
        configure = None
    precision = "dynamic-int8" if kind == "tflite-dynamic-int8" else "float32"
    return convert_batch_one(const_fn, (64, 64, 3), precision=precision, configure=configure)


def build_paths(model, calibration: np.ndarray) -> tuple[dict, dict]:
    """``{name: batch-1 callable}`` and ``{name: flatbuffer MB}``."""
    import keras

    from core.inference.fast import constant_forward
    from core.inference.lite import LiteForward, lite_threads, new_litert_interpreter
    from core.model.resnet import ResNet50

    const_fn = constant_forward(model)
    paths, sizes = {}, {}
    for kind in ("tflite-float32", "tflite-dynamic-int8", "tflite-int8", "tflite-float16"):
        t = time.perf_counter()
        blob = _converted(const_fn, kind, calibration)
        print(f"{kind}: converted in {time.perf_counter() - t:.1f} s, {len(blob) / 1e6:.1f} MB", flush=True)
        paths[kind] = LiteForward(new_litert_interpreter(blob, lite_threads()), "bench")
        sizes[kind] = round(len(blob) / 1e6, 1)
    paths["tf-float32"] = lambda x: const_fn(x).numpy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        twin = ResNet50(tuple(model.input_shape[1:]), model.output_shape[-1])
    finally:
        keras.config.set_dtype_policy("float32")
    twin.set_weights(model.get_weights())
    bf16_fn = constant_forward(twin)
    paths["tf-bfloat16"] = lambda x: np.asarray(bf16_fn(x), dtype=np.float32)
    return paths, sizes


def matmul_timers(n: int = 1024, reps: int = 10) -> dict:
    """Callables that run ``reps`` ``n x n`` TensorFlow matmuls in float32 / bfloat16 and wait for the last
    (as ``bench.matmul``, which takes the best of its repeats)."""
    import tensorflow as tf

    timers = {}
    for name in ("float32", "bfloat16"):
        dtype = getattr(tf, name)
        a, b = (tf.cast(tf.random.normal((n, n), seed=s), dtype) for s in (1, 2))
        f = tf.function(lambda a, b: tf.linalg.matmul(a, b))

        def run(f=f, a=a, b=b):
            for _ in range(reps):
                r = f(a, b)
            r.numpy()

        timers[f"matmul-{name}"] = run
    return timers


def latencies(paths: dict, rounds: int, per_round: int = 10) -> dict[str, list[float]]:
    """Seconds per call of every path, and per block of 10 matmuls, all interleaved in each round (same load)."""
    x = np.random.default_rng(1).random((1, 64, 64, 3), dtype=np.float32)
    calls = {name: (lambda fn=fn: fn(x)) for name, fn in paths.items()} | matmul_timers()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            call(), call()
            for _ in range(per_round if not name.startswith("matmul-") else 2):
                t = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - t)
    return times


def probabilities(fn, x_uint8: np.ndarray, batched: bool) -> np.ndarray:
    x = x_uint8.astype(np.float32) / 255.0
    if batched:
        return np.concatenate([fn(x[i : i + 64]) for i in range(0, len(x), 64)])
    return np.concatenate([fn(x[i : i + 1]) for i in range(len(x))])


def evaluation_splits(backgrounds: str | None) -> dict:
    """The shipped model's evaluation splits, read as ``tools.recipes score`` reads them."""
    from core.hands.framing import HandFraming
    from tools.recipes import load_mix, room_evals, studio_shift

    _, evals = load_mix(data_dir().parent, framing=HandFraming())
    evals["signs_test_studio_shift"] = studio_shift(evals["signs_test"])
    evals["sld_val_persons_studio_shift"] = studio_shift(evals["sld_val_persons"])
    if backgrounds:
        evals.update(room_evals(evals, backgrounds))
    return evals


def accuracy_rows(paths: dict, splits: dict, names: list[str]) -> list[dict]:
    rows = []
    for split, data in splits.items():
        if not len(data):
            continue
        ref = probabilities(paths["tflite-float32"], data.x, batched=False)
        for name in names:
            p = ref if name == "tflite-float32" else probabilities(paths[name], data.x, name.startswith("tf-"))
            flipped = np.flatnonzero(p.argmax(1) != ref.argmax(1))
            top2 = np.sort(ref[flipped], axis=1)[:, -2:]
            rows.append({
                "split": split, "path": name, "images": int(len(data)),
                "flipped_float32_margins": [round(float(m), 3) for m in top2[:, 1] - top2[:, 0]],
                "accuracy": round(float(np.mean(p.argmax(1) == data.y)), 4),
                "agree_with_float32": int(np.sum(p.argmax(1) == ref.argmax(1))),
                "max_abs_dprob": float(np.abs(p - ref).max()),
            })
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--backgrounds", help="folder of background photos (tools/backgrounds.py): adds the room splits")
    ap.add_argument("--no-splits", action="store_true", help="SIGNS test only")
    ap.add_argument("--out", default=str(RESULTS / "precision.md"))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from core.device import import_backend_quietly

    import_backend_quietly()
    from core.data.datasets import load_dataset
    from core.model.files import load_model

    start = machine()
    model, _ = load_model(MODEL)
    signs = load_dataset(data_dir())  # as stored (no hand finding): the notebook's test set
    rng = np.random.default_rng(0)
    calibration = signs.train.x[rng.choice(len(signs.train.x), 200, replace=False)].astype(np.float32) / 255.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths, sizes = build_paths(model, calibration)
    times = latencies(paths, args.rounds)
    flop = 10 * 2 * 1024**3  # one timed block: ten 1024^2 matmuls; the machine's rate is its best block
    fp32_rate = flop / min(times.pop("matmul-float32")) / 1e9
    bf16_rate = flop / min(times.pop("matmul-bfloat16")) / 1e9
    speed = []
    base = percentile(times["tflite-float32"], 50)
    for name, ts in times.items():
        p50 = percentile(ts, 50)
        gflops = FORWARD_GFLOP / p50
        speed.append({"path": name, "p50_ms": round(p50 * 1e3, 3), "p90_ms": round(percentile(ts, 90) * 1e3, 3),
                      "speedup_vs_tflite_float32": round(base / p50, 2), "gflops": round(gflops, 1),
                      "fraction_of_fp32_matmul": round(gflops / fp32_rate, 3),
                      "fraction_of_bf16_matmul": round(gflops / bf16_rate, 3), "file_mb": sizes.get(name)})
    signs_rows = accuracy_rows(paths, {"signs_test_as_stored": signs.test}, list(paths))
    splits = {} if args.no_splits else evaluation_splits(args.backgrounds)
    split_rows = accuracy_rows(paths, splits, ["tflite-float32", "tflite-dynamic-int8"])
    result = {"machine": start, "cpu_model": cpu_model(), "load_end": round(os.getloadavg()[0], 2),
              "matmul_gflops": {"float32": round(fp32_rate, 1), "bfloat16": round(bf16_rate, 1)},
              "rounds": args.rounds, "speed": speed, "signs_test": signs_rows, "splits": split_rows}
    write(result, Path(args.out))


def write(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    m = result["matmul_gflops"]
    lines = [f"# Per-frame inference by precision ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"{result['cpu_model']}, {result['machine']['cpus']} CPUs, load average {result['machine']['loadavg_1m']} "
             f"at start, {result['load_end']} at end; matmul {m['float32']} GFLOP/s float32, {m['bfloat16']} bfloat16 "
             f"(1024^2 TensorFlow matmul, best block of 10, timed in the same rounds as the paths); {result['rounds']} alternating rounds of 10 calls.", "",
             "| path | p50 ms | p90 ms | speed-up vs TFLite float32 | GFLOP/s | of fp32 matmul | of bf16 matmul | file MB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in result["speed"]:
        lines.append(f"| {r['path']} | {r['p50_ms']} | {r['p90_ms']} | {r['speedup_vs_tflite_float32']}x | "
                     f"{r['gflops']} | {r['fraction_of_fp32_matmul']:.0%} | {r['fraction_of_bf16_matmul']:.0%} | "
                     f"{r['file_mb'] or ''} |")
    lines += ["", "| split | images | path | accuracy | agree with TFLite float32 | max abs d(probability) "
              "| float32's top-2 margin where they disagree |", "|---|---|---|---|---|---|---|"]
    for r in result["signs_test"] + result["splits"]:
        lines.append(f"| {r['split']} | {r['images']} | {r['path']} | {r['accuracy']:.4f} | {r['agree_with_float32']} | "
                     f"{r['max_abs_dprob']:.2g} | {', '.join(map(str, r['flipped_float32_margins']))} |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
