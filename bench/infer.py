"""Per-frame inference worker: the app's classifier path against ``model.predict``.

Both classify the same 640x480 camera-sized frame at batch 1, alternately in
rounds, on one model loaded from a ``.keras`` file the way the app loads it
(random He-initialised ResNet-50 weights: latency does not depend on them).

* ``ours``: ``Classifier.classify_frame(frame, bgr=True)`` - crop, resize,
  scale and the compiled forward pass (end to end; ``forward`` is the pass alone).
  For a loaded model the forward pass is TensorFlow Lite (XNNPACK) on the
  folded graph (``core.inference.fast.lite_forward``).
* ``tensorflow``: the same, with ``HANDSIGN_INFERENCE=tensorflow``: the
  folded constant-weight TensorFlow graph (``core.inference.fast.constant_forward``),
  the per-frame path before TensorFlow Lite was adopted.
* ``predict``: the same prepared 64x64 image through ``model.predict(x, verbose=0)``.
* ``before``: the path as it was before issue #5 - variable weights in a
  ``tf.function`` (``Classifier(model, info)``, as training's evaluator still
  uses) and the full frame converted to RGB before the crop.

Then the CPU share of ``classify_frame`` paced at 30 frames per second.  Load
times: first load (converts to TensorFlow Lite), next load (from the cache),
and the TensorFlow path's.

    python -m bench.infer [--rounds 10] [--per-round 20] [--paced-seconds 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.common import emit, percentile, set_threads


def make_model_file(folder: Path) -> Path:
    import keras

    from core.model.files import ModelInfo, save_model
    from core.model.resnet import ResNet50

    keras.utils.set_random_seed(0)
    model = ResNet50((64, 64, 3), 6, init="he", bn_momentum=0.9)
    path = folder / "bench.keras"
    save_model(model, path, ModelInfo([str(i) for i in range(6)], (64, 64)))
    return path


def camera_frame(seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    frame = np.empty((480, 640, 3), np.uint8)
    frame[:] = rng.integers(0, 256, 3, dtype=np.uint8)
    frame[100:380, 200:440] = rng.integers(0, 256, (280, 240, 3), dtype=np.uint8)
    return frame


def paced_cpu_share(fn, fps: float, seconds: float) -> dict:
    """Call ``fn`` at ``fps`` for ``seconds``; CPU time used per wall second."""
    period = 1.0 / fps
    n = int(seconds * fps)
    t_start, c_start = time.perf_counter(), time.process_time()
    late = 0
    for i in range(n):
        fn()
        wait = t_start + (i + 1) * period - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            late += 1
    wall = time.perf_counter() - t_start
    cpu = time.process_time() - c_start
    return {
        "fps": round(n / wall, 1),
        "cpu_share_of_one_core": round(cpu / wall, 3),
        "cpu_share_of_machine": round(cpu / wall / (os.cpu_count() or 1), 3),
        "late_frames": late,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.infer")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--per-round", type=int, default=20)
    p.add_argument("--paced-seconds", type=float, default=5.0)
    p.add_argument("--intra", type=int, default=None)
    p.add_argument("--inter", type=int, default=None)
    args = p.parse_args(argv)
    set_threads(args.intra, args.inter)

    from core.inference.classifier import Classifier

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HANDSIGN_CACHE"] = str(Path(tmp) / "cache")  # a fresh conversion cache, not the user's
        path = make_model_file(Path(tmp))
        t0 = time.perf_counter()
        clf = Classifier.load(path)
        clf.warm_up()
        load_convert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        clf = Classifier.load(path)  # the next start: the converted model comes from the cache
        clf.warm_up()
        load_s = time.perf_counter() - t0
        os.environ["HANDSIGN_INFERENCE"] = "tensorflow"  # the TensorFlow constant-weight path, for comparison
        try:
            t0 = time.perf_counter()
            tf_clf = Classifier.load(path)
            tf_clf.warm_up()
            load_tf_s = time.perf_counter() - t0
        finally:
            del os.environ["HANDSIGN_INFERENCE"]
    from core.images import crop_resize, to_rgb_uint8

    frame = camera_frame()
    x = clf.prepare(frame, bgr=True)[None].astype("float32") / 255.0
    model = clf.model
    old = Classifier(model, clf.info)

    def before():
        t = time.perf_counter()
        xb = crop_resize(to_rgb_uint8(frame, bgr=True), clf.input_size)[None]
        t1 = time.perf_counter()
        old.probabilities(xb)
        return t1 - t, time.perf_counter() - t1
    for _ in range(3):
        clf.classify_frame(frame, bgr=True)
        tf_clf.classify_frame(frame, bgr=True)
        model.predict(x, verbose=0)
        before()
    # Same answer from both paths.
    a = clf.classify_frame(frame, bgr=True).probabilities
    b = model.predict(x, verbose=0)[0]
    max_diff = float(abs(a - b).max())
    max_diff_tf = float(abs(a - tf_clf.classify_frame(frame, bgr=True).probabilities).max())

    ours, forward, pred, old_total, old_forward, tf_total, tf_forward = [], [], [], [], [], [], []
    for _ in range(args.rounds):
        for _ in range(args.per_round):
            t = time.perf_counter()
            r = clf.classify_frame(frame, bgr=True)
            ours.append(time.perf_counter() - t)
            forward.append(r.seconds)
        for _ in range(args.per_round):
            t = time.perf_counter()
            r = tf_clf.classify_frame(frame, bgr=True)
            tf_total.append(time.perf_counter() - t)
            tf_forward.append(r.seconds)
        for _ in range(args.per_round):
            t = time.perf_counter()
            model.predict(x, verbose=0)
            pred.append(time.perf_counter() - t)
        for _ in range(args.per_round):
            prep, fwd = before()
            old_total.append(prep + fwd)
            old_forward.append(fwd)

    def stats(v):
        return {"p50_ms": round(1000 * percentile(v, 50), 2), "p95_ms": round(1000 * percentile(v, 95), 2), "n": len(v)}

    out = {
        "ours": stats(ours),
        "ours_forward": stats(forward),
        "engine": clf.engine,
        "tensorflow": stats(tf_total),
        "tensorflow_forward": stats(tf_forward),
        "p50_ratio_tensorflow_over_ours": round(percentile(tf_total, 50) / percentile(ours, 50), 2),
        "max_probability_difference_tensorflow": max_diff_tf,
        "load_and_convert_s": round(load_convert_s, 2),
        "load_tensorflow_s": round(load_tf_s, 2),
        "predict": stats(pred),
        "before": stats(old_total),
        "before_forward": stats(old_forward),
        "p50_ratio_predict_over_ours": round(percentile(pred, 50) / percentile(ours, 50), 2),
        "p50_ratio_before_over_ours": round(percentile(old_total, 50) / percentile(ours, 50), 2),
        "max_probability_difference": max_diff,
        "load_and_warm_up_s": round(load_s, 2),
        "paced_30fps": paced_cpu_share(lambda: clf.classify_frame(frame, bgr=True), 30.0, args.paced_seconds),
        "paced_30fps_tensorflow": paced_cpu_share(lambda: tf_clf.classify_frame(frame, bgr=True), 30.0,
                                                  args.paced_seconds),
        "paced_30fps_before": paced_cpu_share(before, 30.0, args.paced_seconds),
    }
    emit(out)


if __name__ == "__main__":
    main()
