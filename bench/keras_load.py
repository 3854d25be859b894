"""The live view while a TensorFlow-free session loads the Keras model for a feature that needs it.

``python -m bench.keras_load``: in one process with TensorFlow already imported (as after
the app's helper thread), a loop classifies 640 x 480 frames on LiteRT, as the inference
worker does, for a few seconds alone, then while another thread loads the shipped model's
full ``Classifier`` (as ``gui.workers.keras_beside`` does now), then a second load on the
loop's own thread (as the worker did before: the live view stops for the whole load).
Then the Inside tab's ``FeatureExtractor`` with its first maps, which still runs on the
worker.  The switch interval is the app's (1 ms, ``gui.threads.keep_ui_responsive``).
"""

import os
import statistics
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _frames_until(lite, frame, done) -> list[float]:
    """Classify ``frame`` until ``done()``; the gaps between consecutive answers (s)."""
    gaps, last = [], time.perf_counter()
    while not done():
        lite.classify_frame_and_input(frame, None)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    return gaps


def _row(label: str, seconds: float, gaps: list[float]) -> str:
    if not gaps:
        return f"| {label} | {seconds:.2f} s | 0 | | |"
    ms = sorted(g * 1000 for g in gaps)
    return (f"| {label} | {seconds:.2f} s | {len(gaps)} | {statistics.median(ms):.1f} ms | "
            f"{ms[-1]:.0f} ms |")


def main() -> None:
    import keras  # noqa: F401 - TensorFlow imported first, as after the helper thread
    import numpy as np

    from bench.common import cpu_model
    from core.explain.features import FeatureExtractor
    from core.inference.classifier import Classifier
    from core.inference.lite import open_lite_classifier
    from core.paths import shipped_model_path

    sys.setswitchinterval(0.001)
    path = shipped_model_path()
    lite = open_lite_classifier(path)
    if lite is None:
        Classifier.load(path)  # fills the cache the TensorFlow-free path reads
        lite = open_lite_classifier(path)
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    print(f"CPU: {cpu_model()}")
    print("| phase | time | frames classified | frame gap p50 | longest gap |\n| --- | --- | --- | --- | --- |")
    t = time.perf_counter()
    gaps = _frames_until(lite, frame, lambda: time.perf_counter() - t > 3.0)
    print(_row("LiteRT frames alone", time.perf_counter() - t, gaps), flush=True)

    loaded: list = []
    helper = threading.Thread(target=lambda: loaded.append(Classifier.load(path)))
    t = time.perf_counter()
    helper.start()
    gaps = _frames_until(lite, frame, lambda: bool(loaded))
    helper.join()
    print(_row("Keras model loaded beside (now)", time.perf_counter() - t, gaps), flush=True)

    t = time.perf_counter()
    clf = Classifier.load(path)
    print(_row("Keras model loaded on the worker (before; a second load)", time.perf_counter() - t, []), flush=True)

    t = time.perf_counter()
    fx = FeatureExtractor(clf.model)
    fx.extract(np.zeros((64, 64, 3), np.uint8), fx.default_block())
    print(_row("Inside tab: extractor + first maps (on the worker)", time.perf_counter() - t, []), flush=True)


if __name__ == "__main__":
    main()
