"""Live classification with the heatmap on against classification alone, over the same frames in one run.

Per frame, what the Classify tab's inference worker does
(``core.hands.reading.read_frame``: crop + preprocess + the classifier): alone,
the per-frame engine (TensorFlow Lite's XNNPACK for the shipped model); with the
heatmap on, ``core.explain.cam.ExplainingClassifier``, whose one pass (folded
TensorFlow graph + the hand-written tail gradient, ``core.explain.backward``)
gives both the probabilities and the map, on TensorFlow Lite's XNNPACK
(``core.explain.lite_cam``, as the app runs it), and, for comparison, the
same pass as a TensorFlow function (engines built and converted before timing).  The frames are SIGNS test images pasted into
320x240 frames (classified in the centre square; ``--find-hand`` runs the hand
finder as well).  The variants alternate frame by frame, in an order that turns with each frame,
so a noisy shared machine slows all alike; the table gives p50 / p90 per-frame
milliseconds, fps at p50 and the ratio to classification alone.  Targets
(issue 15): >= 30 fps with the heatmap, and per-frame cost <= 2x classification alone.

    python -m bench.explain [--frames 240] [--find-hand] [--layer stage3|stage4]

Writes bench/results/explain.md and .json (``--find-hand``: explain-find-hand.md and .json).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from bench.common import RESULTS, cpu_model, data_dir, machine, median, percentile

VARIANTS = ("classify", "classify + heatmap stage 4", "classify + heatmap stage 3",
            "classify + heatmap stage 4, TensorFlow pass")


def frames_from_signs(n: int) -> list[np.ndarray]:
    import cv2

    from core.images import read_image

    files = sorted((data_dir() / "test_signs").glob("*.jpg"))
    out = []
    for i in range(n):
        img = cv2.resize(read_image(files[i % len(files)]), (200, 200), interpolation=cv2.INTER_AREA)
        frame = np.full((240, 320, 3), 40, np.uint8)
        frame[20:220, 60:260] = img
        out.append(frame)
    return out


def measure(n_frames: int, find_hand: bool) -> dict:
    from core.device import import_backend_quietly

    import_backend_quietly()
    from core.explain.cam import ExplainingClassifier, HeatmapEngine
    from core.hands.reading import read_frame
    from core.inference.classifier import Classifier
    from core.paths import shipped_model_path

    clf = Classifier.load(shipped_model_path())
    clf.warm_up()
    engines = {"classify + heatmap stage 4": HeatmapEngine(clf.model, "stage4"),
               "classify + heatmap stage 3": HeatmapEngine(clf.model, "stage3"),
               "classify + heatmap stage 4, TensorFlow pass": HeatmapEngine(clf.model, "stage4")}
    for variant, engine in engines.items():
        if "TensorFlow" not in variant:  # what the app's worker does: the pass on XNNPACK, cached per model file
            assert engine.use_lite(shipped_model_path()), "the TensorFlow Lite heatmap pass did not convert"
    # What the inference worker runs with the heatmap on: one pass gives the probabilities and the map.
    readers = {"classify": clf, **{v: ExplainingClassifier(clf, e) for v, e in engines.items()}}
    finder = None
    if find_hand:
        from core.hands.finder import HandFinder

        finder = HandFinder()
    frames = frames_from_signs(n_frames)
    for e in engines.values():  # trace and warm, outside the timing
        e.compute(clf.prepare(frames[0]))
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    no_hand = dict.fromkeys(VARIANTS, 0)  # frames answered "no hand" (no map computed for them)
    for i, frame in enumerate(frames):
        # The order turns with each frame: no variant is always first after a new frame (hand tracking, caches).
        for variant in VARIANTS[i % len(VARIANTS):] + VARIANTS[: i % len(VARIANTS)]:
            t0 = time.perf_counter()
            reading = read_frame(readers[variant], frame, finder=finder, still=False)
            times[variant].append((time.perf_counter() - t0) * 1000.0)
            no_hand[variant] += reading.no_hand
    base = median(times["classify"])
    rows = []
    for v in VARIANTS:
        p50 = median(times[v])
        rows.append({"variant": v, "p50_ms": round(p50, 2), "p90_ms": round(percentile(times[v], 90), 2),
                     "fps_at_p50": round(1000.0 / p50, 1), "ratio_to_classify": round(p50 / base, 2),
                     "no_hand_frames": no_hand[v]})
    return {"frames": n_frames, "find_hand": find_hand, "engine": clf.engine, "rows": rows,
            "cpu": cpu_model(), "machine": machine()}


def table(result: dict) -> str:
    lines = [f"# Heatmap on vs classification alone ({result['frames']} frames each, alternating; "
             f"find hand {'on' if result['find_hand'] else 'off'}; classifier engine {result['engine']})", "",
             "| variant | p50 ms/frame | p90 ms/frame | fps at p50 | x classification alone | no-hand frames |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['fps_at_p50']:.1f} | "
              f"{r['ratio_to_classify']:.2f} | {r['no_hand_frames']} |" for r in result["rows"]]
    lines += ["", f"CPU: {result['cpu']} ({result['machine']['cpus']} cores, load {result['machine']['loadavg_1m']} "
              "at the end); targets: >= 30 fps with the heatmap, <= 2x classification alone.",
              "Command: `python -m bench.explain" + (" --find-hand" if result["find_hand"] else "") + "`"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.explain")
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--find-hand", action="store_true", help="run the hand finder on every frame too")
    args = ap.parse_args(argv)
    result = measure(args.frames, args.find_hand)
    text = table(result)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    name = "explain-find-hand" if args.find_hand else "explain"
    (RESULTS / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
