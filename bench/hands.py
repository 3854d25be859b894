"""Hand finding per 640x480 frame, against classification alone; the full against the lite landmark model.

Everything runs in one process the way the app runs it (TensorFlow loaded, so
the classifier and the hand models all run on TensorFlow Lite's XNNPACK
kernels), on BGR camera-sized frames, alternately in rounds (the machine is
shared: compare the ratios):

* ``classify``: ``Classifier.classify_frame(frame, region, bgr=True)`` with a
  fixed region box: the app's per-frame path without hand finding (baseline);
* ``track_full`` / ``track_lite``: ``read_frame(clf, frame, finder=HandFinder(...))``, with the
  shipped model's hand-shape head on the found hand's landmarks (``core.hands.shape``) as in the
  app, on a video-like sequence, a hand moving back and forth across a cluttered
  room: tracking (the palm detector runs only when the tracker has lost the hand;
  the landmark model on every third frame, the square moving on at the hand's
  velocity between; ``track_lite`` is the app's), then the classifier on the
  hand's square; ``track_lite_2``: the app before 2026-12-04 (every other frame,
  the square held); ``track_*_every``: the landmark model on every frame;
* ``no_hand_full`` / ``no_hand_lite``: the same on the empty room: the palm
  detector on one search window a frame, nothing to classify;
* ``still_full``: ``read_frame(..., still=True)`` on one frame of the sequence
  (``handsign predict`` / ``evaluate``: detect, refine, classify);
  ``still_no_hand``: the same on the empty room, where a still image is searched
  in its small windows too (``fine_windows``, since 2026-12-04);
  ``still_no_hand_coarse``: without them (``fine_presence=None``), as before.

Then each landmark model's detection rate on still photos
(``HandFinder.find_in_image``): every Sign Language Digits photo and SIGNS test.
The classifier is a He-initialised ResNet-50 (latency does not depend on its weights) carrying the
shipped model's hand-shape head.

    python -m bench.hands [--rounds 6] [--per-round 30] [--max-photos N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import cpu_model, data_dir, emit, percentile
from bench.infer import make_model_file


def moving_hand(photo: np.ndarray, background: np.ndarray, n: int = 40, side: int = 200) -> list[np.ndarray]:
    """``2 n`` RGB frames: the photo's hand (its wall masked out) moving right and back, bobbing a little."""
    from tools.videos import paste

    frames = [paste(background, photo, int(80 + 320 * i / (n - 1)), int(140 + 40 * np.sin(i / 5)), side)
              for i in range(n)]
    return frames + frames[::-1]  # back and forth: the loop has no jump for the tracker


def stats(seconds: list[float]) -> dict:
    return {"p50_ms": round(1000 * percentile(seconds, 50), 2), "mean_ms": round(1000 * float(np.mean(seconds)), 2),
            "p95_ms": round(1000 * percentile(seconds, 95), 2), "n": len(seconds)}


class Variant:
    """One way of reading frames, timed per frame; ``frames`` are played in a loop, continuing across rounds."""

    def __init__(self, fn, frames):
        self.fn, self.frames, self.next = fn, frames, 0
        self.seconds: list[float] = []
        self.hands = self.tracked = 0

    def run(self, count: int, record: bool = True) -> None:
        for _ in range(count):
            frame = self.frames[self.next % len(self.frames)]
            self.next += 1
            t = time.perf_counter()
            reading = self.fn(frame)
            if record:
                self.seconds.append(time.perf_counter() - t)
                self.hands += reading.hand is not None
                self.tracked += bool(reading.hand is not None and reading.hand.tracked)


def per_frame(clf, sequence, empty, rounds: int, per_round: int) -> dict:
    from core.hands.finder import TRACK_EVERY, HandFinder
    from core.hands.models import LANDMARK_LITE_MODEL, LANDMARK_MODEL
    from core.hands.reading import read_frame
    from core.inference.region import CENTRE, crop_region

    region = crop_region(CENTRE, 640, 480)  # the app's default region box on a live picture
    models = {"full": LANDMARK_MODEL, "lite": LANDMARK_LITE_MODEL}
    variants = {"classify": Variant(lambda f: read_frame(clf, f, region=region, bgr=True), sequence)}
    # One finder per variant: the empty room must not reset the tracking variants' hand.  The app's
    # finder runs the lite landmark model on every third tracked frame (TRACK_EVERY), the square moving
    # on between; "_2" is the app before 2026-12-04 (every other frame, the square held), "_every" each frame.
    for name, model, every, gain in (("full", LANDMARK_MODEL, TRACK_EVERY, 0.3),
                                     ("lite", LANDMARK_LITE_MODEL, TRACK_EVERY, 0.3),
                                     ("lite_2", LANDMARK_LITE_MODEL, 2, 0.0),
                                     ("full_every", LANDMARK_MODEL, 1, 0.3), ("lite_every", LANDMARK_LITE_MODEL, 1, 0.3)):
        fd = HandFinder(landmark_model=model, video_landmark_model=model, track_every=every, velocity_gain=gain)
        variants[f"track_{name}"] = Variant(lambda f, fd=fd: read_frame(clf, f, finder=fd, bgr=True), sequence)
    for name, model in models.items():
        fd = HandFinder(landmark_model=model, video_landmark_model=model)
        variants[f"no_hand_{name}"] = Variant(lambda f, fd=fd: read_frame(clf, f, finder=fd, bgr=True), [empty])
    still = HandFinder(landmark_model=LANDMARK_MODEL)
    variants["still_full"] = Variant(lambda f: read_frame(clf, f, finder=still, bgr=True, still=True), sequence[:1])
    variants["still_no_hand"] = Variant(lambda f: read_frame(clf, f, finder=still, bgr=True, still=True), [empty])
    coarse = HandFinder(landmark_model=LANDMARK_MODEL, fine_presence=None)
    variants["still_no_hand_coarse"] = Variant(lambda f: read_frame(clf, f, finder=coarse, bgr=True, still=True),
                                               [empty])
    for v in variants.values():
        v.run(5, record=False)  # warm up each interpreter
    for r in range(rounds):
        for name in (list(variants) if r % 2 == 0 else list(reversed(variants))):
            variants[name].run(per_round)
    out = {name: {**stats(v.seconds), "hand_rate": round(v.hands / len(v.seconds), 3),
                  "tracked_rate": round(v.tracked / len(v.seconds), 3)} for name, v in variants.items()}
    base = variants["classify"].seconds
    for name in variants:
        s = variants[name].seconds
        out[name]["p50_over_classify"] = round(percentile(s, 50) / percentile(base, 50), 2)
        out[name]["mean_over_classify"] = round(float(np.mean(s)) / float(np.mean(base)), 2)
    return out


def detection_rates(photos: dict[str, list[Path]]) -> dict:
    """Share of still photos in which each landmark model (with the same palm detector) finds a hand."""
    from core.hands.finder import HandFinder
    from core.hands.models import LANDMARK_LITE_MODEL, LANDMARK_MODEL
    from core.images import read_image

    images = {name: [read_image(p) for p in paths] for name, paths in photos.items()}
    out: dict = {}
    for model_name, model in (("full", LANDMARK_MODEL), ("lite", LANDMARK_LITE_MODEL)):
        finder = HandFinder(landmark_model=model)
        for set_name, imgs in images.items():
            seconds, found = [], 0
            for img in imgs:
                t = time.perf_counter()
                found += finder.find_in_image(img) is not None
                seconds.append(time.perf_counter() - t)
            out[f"{model_name}/{set_name}"] = {"found": found, "n": len(imgs), "rate": round(found / len(imgs), 4),
                                               "p50_ms": round(1000 * percentile(seconds, 50), 2)}
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hands")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--per-round", type=int, default=30)
    p.add_argument("--max-photos", type=int, default=None, help="detection rates on the first N photos of each set")
    args = p.parse_args(argv)

    from core.device import import_backend_quietly
    from core.images import read_image
    from core.inference.classifier import Classifier

    import_backend_quietly()  # as in the app: TensorFlow loaded, tf.lite interpreters
    signs = data_dir()
    sld = signs.parent / "sign-language-digits"
    if not sld.is_dir():
        raise SystemExit(f"Sign Language Digits not found next to {signs}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HANDSIGN_CACHE"] = str(Path(tmp) / "cache")
        clf = Classifier.load(make_model_file(Path(tmp)))
        clf.warm_up()
    clf.shape_head = _shipped_shape_head(clf.class_names)  # as the app reads frames: with the hand's shape
    from tools.videos import room

    background = room(seed=1)
    photo = read_image(sorted((sld / "3").glob("*.JPG"))[0])
    bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in moving_hand(photo, background)]
    empty = np.ascontiguousarray(background[:, :, ::-1])
    out = {"cpu_model": cpu_model(), "loadavg_1m": round(os.getloadavg()[0], 2),
           "per_frame": per_frame(clf, bgr, empty, args.rounds, args.per_round)}
    sld_photos = sorted(p for d in sld.iterdir() if d.is_dir() for p in d.iterdir() if p.suffix.lower() == ".jpg")
    signs_test = sorted((signs / "test_signs").glob("*.jpg"))
    out["detection"] = detection_rates({"sld": sld_photos[:args.max_photos], "signs_test": signs_test[:args.max_photos]})
    emit(out)


def _shipped_shape_head(class_names):
    """The shipped model's hand-shape head (core.hands.shape), or None where it has none."""
    from core.inference.prediction import read_shape_head
    from core.paths import shipped_model_path

    path = shipped_model_path()
    return read_shape_head(path, class_names) if path.exists() else None


if __name__ == "__main__":
    main()
