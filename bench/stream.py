"""Training that streams from disk (core.data.stream): memory with 10x the images, and speed against memory.

Two measurements, each in fresh worker processes, on generated 64x64 JPEG
class-folder trees (6 classes; written once into a temporary folder, never
into the repository):

* **memory**: the peak RSS of a training process that streams 50,000 images,
  against one that streams 5,000 (same model, same settings, the same number
  of training steps).  Flat means within 15 %.  RSS is sampled every 0.1 s
  from ``/proc/self/status`` while the steps run.
* **speed**: training images per second of the streaming path (``tf.data`` +
  ``fit``, ``TrainSettings.stream="on"``) against the in-memory path (the
  session's own loop, ``stream="off"``) on the same 5,000 images, run
  alternately (memory, stream, memory, stream ...) in the same invocation;
  the ratio of medians is the result.  Steps 1-5 (tracing, warm-up) are not timed.

Both use the notebook's ResNet-50 at 64x64, batch 32, no augmentation and no
hand finding (generated images have no hands; framing is a one-off cached
pass: core.data.framing_cache).  Runs are stopped after ``--steps`` batches
through the session's own stop.  The GPU row (one GPU split into two logical
devices, img/s for one and for two) is measured only where a GPU is present.

    python -m bench.stream [--steps 40] [--rounds 2] [--big 50000] [--small 5000]

Writes bench/results/stream.md and stream.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.common import RESULTS, cpu_model, emit, machine, median, run_worker

CLASSES = 6


def make_tree(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` 64x64 JPEGs in ``CLASSES`` class folders: a class-coloured disc on noise."""
    import cv2

    rng = np.random.default_rng(seed)
    for c in range(CLASSES):
        (root / str(c)).mkdir(parents=True, exist_ok=True)
    colours = rng.integers(0, 256, (CLASSES, 3))
    for i in range(n):
        c = i % CLASSES
        img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        cv2.circle(img, (int(rng.integers(16, 48)), int(rng.integers(16, 48))), 12 + c,
                   tuple(int(v) for v in colours[c]), -1)
        cv2.imwrite(str(root / str(c) / f"{i}.jpg"), img)
    return root


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Sampler:
    """Peak RSS while training steps run (sampled on a thread every 0.1 s)."""

    def __init__(self):
        self.peak = 0.0
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.1):
            v = rss_mb()
            self.samples.append(v)
            self.peak = max(self.peak, v)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()


def worker(data: str, mode: str, steps: int) -> None:
    """One training run of ``steps`` batches on ``data``; prints img/s and peak RSS."""
    from core.training.presets import settings_for
    from core.training.session import TrainingSession
    from core.training.stream_data import load_for_training

    s = settings_for("standard", epochs=1, batch_size=32, augment=False, find_hand=False, val_split=0.0,
                     test_split=0.0, stream=mode, seed=0)
    t0 = time.perf_counter()
    ds = load_for_training(data, s)
    load_s = time.perf_counter() - t0
    sampler = _Sampler()
    times: list[float] = []

    class Stopper:
        def on_batch(self, p):
            times.append(time.perf_counter())
            if len(times) == 1:
                sampler.start()
            if len(times) >= steps:
                session.stop()

    session = TrainingSession(ds, s, Stopper())
    session.run()
    sampler.stop()
    warm = 5
    ips = (len(times) - 1 - warm) * s.batch_size / (times[-1] - times[warm]) if len(times) > warm + 1 else None
    emit({"mode": mode, "images": len(ds.train), "steps": len(times), "ips": ips, "load_s": round(load_s, 2),
          "peak_rss_mb": round(sampler.peak, 1), "end_rss_mb": round(rss_mb(), 1),
          "streamed": type(ds.train.x).__name__ == "LazyImages"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--big", type=int, default=50_000)
    ap.add_argument("--small", type=int, default=5_000)
    ap.add_argument("--keep", help="write the trees here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="handsign-stream-"))
    try:
        t0 = time.perf_counter()
        small = root / f"tree{args.small}"
        big = root / f"tree{args.big}"
        if not small.exists():
            make_tree(small, args.small)
        if not big.exists():
            make_tree(big, args.big, seed=1)
        gen_s = time.perf_counter() - t0
        steps = str(args.steps)
        memory = {n: run_worker("bench.stream", ["worker", str(p), "on", steps], timeout=1800)
                  for n, p in ((args.small, small), (args.big, big))}
        speed: dict[str, list] = {"off": [], "on": []}
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                speed[mode].append(run_worker("bench.stream", ["worker", str(small), mode, steps], timeout=1800))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(args, memory, speed, gen_s)


def _each(runs: list) -> str:
    return ", ".join(f"{r['ips']:.1f}" for r in runs)


def report(args, memory: dict, speed: dict, gen_s: float) -> None:
    small, big = memory[args.small], memory[args.big]
    rss_ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
    ips = {m: median([r["ips"] for r in runs]) for m, runs in speed.items()}
    result = {
        "cpu": cpu_model(), "machine": machine(), "date": time.strftime("%Y-%m-%d"), "steps": args.steps,
        "memory": {str(k): v for k, v in memory.items()}, "rss_ratio": round(rss_ratio, 3),
        "rss_flat_within_15pct": rss_ratio <= 1.15, "speed": speed,
        "ips_median": {"in_memory": ips["off"], "streamed": ips["on"]},
        "stream_vs_memory": round(ips["on"] / ips["off"], 3), "tree_seconds": round(gen_s, 1),
        "gpu": "not measured: no GPU lent",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stream.json").write_text(json.dumps(result, indent=2))
    lines = [
        "# Streaming training (bench/stream.py)", "",
        f"{result['date']}, {result['cpu']}, {os.cpu_count()} cores; ResNet-50 64x64, batch 32, "
        f"{args.steps} steps per run (steps 1-5 untimed), no augmentation, no hand finding.", "",
        "| measurement | A | B | B / A |", "| --- | --- | --- | --- |",
        f"| peak RSS while training, streamed | {args.small:,} images: {small['peak_rss_mb']:.0f} MB | "
        f"{args.big:,} images: {big['peak_rss_mb']:.0f} MB | {rss_ratio:.3f} "
        f"({'flat' if rss_ratio <= 1.15 else 'NOT flat'}: limit 1.15) |",
        f"| img/s on {args.small:,} images (median of {args.rounds}, alternating) | in memory: {ips['off']:.1f} | "
        f"streamed: {ips['on']:.1f} | {ips['on'] / ips['off']:.2f} |",
        "| img/s, one GPU as 1 and as 2 logical devices | not measured: no GPU lent | | |", "",
        f"Each run's img/s: in memory {_each(speed['off'])}; streamed {_each(speed['on'])}.  "
        f"Load before training: in memory {median([r['load_s'] for r in speed['off']]):.1f} s (decodes all), "
        f"streamed {median([r['load_s'] for r in speed['on']]):.1f} s (lists files).  "
        f"Writing the two JPEG trees took {gen_s:.0f} s.",
    ]
    (RESULTS / "stream.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
