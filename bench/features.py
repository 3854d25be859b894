"""The Inside tab's feature-map view: its per-frame cost and update rate, against classification alone.

Two measurements, in one process, with the shipped model (a trained ResNet-50 at 64x64):

1. Per 640x480 BGR frame (SIGNS test hands on a grey frame), alternately in rounds
   (the machine is shared: compare ratios within the run):

   * ``classify``: ``Classifier.classify_frame_and_input(frame, region, bgr=True)``,
     the Classify tab's per-frame path (baseline);
   * ``features <block>``: the same classification, then what the Inside tab adds
     for that frame: ``FeatureExtractor.extract`` (one float32 forward pass to all 16
     block outputs, the top 16 channels, four stage histograms) and the view's
     update (``FeatureGrid.show_maps`` + ``StageHistograms.show_histograms``, then
     both widgets rendered with ``grab()``, offscreen), with the extractor built as the app
     builds it (``FeatureExtractor(model)``).  The two run on different
     threads in the app (worker and UI), so their sum is an upper bound.

2. The real window (``gui.main_window.MainWindow``, offscreen) playing a 30 fps
   640x480 video of SIGNS hands through the camera path with Find hand on (the
   app's default): Classify results per second with the Classify tab shown, then
   with the Inside tab shown its feature-map updates per second (target >= 10)
   and the Classify results per second meanwhile.

    python -m bench.features [--rounds 6] [--per-round 20] [--seconds 10]

Writes bench/results/features.md and features.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import RESULTS, cpu_model, data_dir, machine, percentile

BLOCKS = ("res2c", "res3b", "res4f")


def hand_frames(n: int = 24) -> list[np.ndarray]:
    """BGR 640x480 frames, each a SIGNS test hand (400x400) on grey."""
    import cv2

    from core.images import read_image

    files = sorted((data_dir() / "test_signs").glob("*.jpg"))[::5][:n]
    frames = []
    for f in files:
        frame = np.full((480, 640, 3), 60, np.uint8)
        frame[40:440, 120:520] = cv2.resize(read_image(f), (400, 400), interpolation=cv2.INTER_AREA)[:, :, ::-1]
        frames.append(frame)
    return frames


def stats(seconds: list[float]) -> dict:
    return {"p50_ms": round(1000 * percentile(seconds, 50), 2), "mean_ms": round(1000 * float(np.mean(seconds)), 2),
            "p95_ms": round(1000 * percentile(seconds, 95), 2), "n": len(seconds)}


class FeatureView:
    """The Inside tab's two painted widgets at their on-screen sizes, updated and rendered per frame."""

    def __init__(self):
        from core.explain.features import HIST_EDGES
        from gui.widgets.feature_grid import FeatureGrid
        from gui.widgets.stage_histograms import StageHistograms

        self.edges = HIST_EDGES
        self.grid, self.hists = FeatureGrid(), StageHistograms()
        self.grid.resize(880, 450)
        self.hists.resize(1180, 150)

    def update(self, view) -> None:
        self.grid.show_maps(view.maps, view.channels, view.means)
        self.hists.show_histograms(view.histograms, self.edges)
        self.grid.grab()
        self.hists.grab()


def per_frame(model_path: Path, rounds: int, per_round: int) -> dict:
    from core.explain.features import FeatureExtractor
    from core.inference.classifier import Classifier
    from core.inference.region import CENTRE, crop_region

    clf = Classifier.load(model_path)
    fx = FeatureExtractor(clf.model)
    view = FeatureView()
    frames = hand_frames()
    region = crop_region(CENTRE, 640, 480)
    times: dict[str, list[float]] = {"classify": []}
    parts: dict[str, dict[str, list[float]]] = {b: {"classify": [], "extract": [], "view": []} for b in BLOCKS}
    for b in BLOCKS:
        times[f"features {b}"] = []
    k = 0
    for r in range(rounds + 1):  # round 0 warms up and is not recorded
        for name in times:
            for _ in range(per_round):
                frame = frames[k % len(frames)]
                k += 1
                t0 = time.perf_counter()
                _, x = clf.classify_frame_and_input(frame, region, bgr=True)
                t1 = time.perf_counter()
                if name != "classify":
                    block = name.split()[1]
                    v = fx.extract(x, block)
                    t2 = time.perf_counter()
                    view.update(v)
                    t3 = time.perf_counter()
                    if r:
                        for part, s in (("classify", t1 - t0), ("extract", t2 - t1), ("view", t3 - t2)):
                            parts[block][part].append(s)
                if r:
                    times[name].append(time.perf_counter() - t0)
    return {"engine": clf.engine, "variants": {n: stats(s) for n, s in times.items()},
            "parts": {b: {p: stats(s) for p, s in d.items()} for b, d in parts.items()},
            "shapes": {b.name: list(b.shape) for b in fx.blocks if b.name in BLOCKS}}


def _pump(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)


def live_window(app, seconds: float, folder: Path) -> dict:
    """The real window on a 30 fps video: rates with the Classify tab shown, then with the Inside tab shown."""
    from gui.main_window import MainWindow
    from tools.lateness_probe import LatenessProbe
    from tools.videos import write_test_video

    frames = [f[:, :, ::-1] for f in hand_frames()]
    video = write_test_video(folder / "hands.avi", [f for f in frames for _ in range(6)], fps=30.0)
    win = MainWindow(start_source=False)
    win.resize(1200, 800)
    win.show()
    win.start_background()
    end = time.monotonic() + 300
    while not win.classify.model_ready and time.monotonic() < end:
        _pump(app, 0.05)
    win.frames.loop_video = True
    win.classify.open_video(video)
    _pump(app, 3.0)  # the hand finder loads, the first frames pass
    c, inside = win.classify, win.inside_tab.controller
    probe = LatenessProbe()
    out = {}
    for tab, key in ((win.classify_tab, "classify_tab"), (win.inside_tab, "inside_tab")):
        win.tabs.setCurrentWidget(tab)
        if tab is win.inside_tab:  # its first request builds the extractor on the worker (traced once)
            probe.start()
            t_shown = time.monotonic()
            while inside.results_shown == 0 and time.monotonic() < t_shown + 120:
                _pump(app, 0.05)
            out["first_maps_s"] = round(time.monotonic() - t_shown, 2)
            probe.stop()
            out["ui_lateness_first_show"] = probe.stats()
        _pump(app, 2.0)
        c0, i0, f0, t0 = c.results_shown, inside.results_shown, c.frames_shown, time.monotonic()
        probe.start()
        _pump(app, seconds)
        probe.stop()
        dt = time.monotonic() - t0
        out[key] = {"classify_per_s": round((c.results_shown - c0) / dt, 1),
                    "frames_per_s": round((c.frames_shown - f0) / dt, 1),
                    "inside_per_s": round((inside.results_shown - i0) / dt, 1), "ui_lateness": probe.stats()}
    out["inside_ms"] = round(float(np.mean(inside.ms_history)), 1) if inside.ms_history else None
    win.close()
    end = time.monotonic() + 60
    while not win.closed_cleanly and time.monotonic() < end:
        _pump(app, 0.05)
    return out


def table(res: dict) -> list[str]:
    pf, live = res["per_frame"], res["window"]
    base = pf["variants"]["classify"]
    rows = ["| measure | feature-map view | classification alone | ratio |", "|---|---|---|---|"]
    for b in BLOCKS:
        v, parts = pf["variants"][f"features {b}"], pf["parts"][b]
        shape = "x".join(map(str, pf["shapes"][b]))
        rows.append(f"| per 640x480 frame p50 / mean ms: classify + features {b} ({shape}): extract + grid and "
                    f"histograms updated and rendered | {v['p50_ms']} / {v['mean_ms']} | {base['p50_ms']} / "
                    f"{base['mean_ms']} | p50 **{v['p50_ms'] / base['p50_ms']:.2f}x** |")
        rows.append(f"| {b}, parts p50 ms: classify / extract (forward pass + top 16 + 4 histograms) / view | "
                    f"{parts['classify']['p50_ms']} / {parts['extract']['p50_ms']} / {parts['view']['p50_ms']} | | |")
        rows.append(f"| {b}, frames/s if everything ran serially on one core (1000 / p50) | "
                    f"**{1000 / v['p50_ms']:.1f}** | {1000 / base['p50_ms']:.1f} | |")
    ct, it = live["classify_tab"], live["inside_tab"]
    rows.append(f"| real window, 30 fps video, Find hand on: feature-map updates/s with the Inside tab shown "
                f"(target >= 10) | **{it['inside_per_s']}** | | |")
    rows.append(f"| real window: classified frames/s (Inside tab shown / Classify tab shown) | {it['classify_per_s']} "
                f"| {ct['classify_per_s']} | {it['classify_per_s'] / max(ct['classify_per_s'], 1e-9):.2f}x |")
    rows.append(f"| real window: feature-map updates/s while the Inside tab is hidden | {ct['inside_per_s']} | | |")
    rows.append(f"| real window: seconds from showing the Inside tab to its first maps (the extractor is built "
                f"and traced once per model) | {live['first_maps_s']} | | |")
    first = live["ui_lateness_first_show"]
    rows.append(f"| UI thread blocked (5 ms timer lateness less CPU wait), max / p99 ms: Inside tab shown / Classify "
                f"tab shown | {it['ui_lateness'].get('blocked_max_ms')} / {it['ui_lateness'].get('blocked_p99_ms')} | "
                f"{ct['ui_lateness'].get('blocked_max_ms')} / {ct['ui_lateness'].get('blocked_p99_ms')} | |")
    rows.append(f"| UI thread blocked while the extractor is built (first show), max / p99 ms; ticks over 50 ms | "
                f"{first.get('blocked_max_ms')} / {first.get('blocked_p99_ms')}; {first.get('blocked_over_50ms')} | | |")
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--per-round", type=int, default=20)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--out", default=str(RESULTS / "features.md"))
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HANDSIGN_HOME"] = str(Path(tmp) / "home")  # a throw-away user folder and settings
        from PySide6.QtWidgets import QApplication

        from core.paths import shipped_model_path

        app = QApplication.instance() or QApplication([])
        t0 = time.perf_counter()
        m = machine()
        res = {"machine": m, "cpu_model": cpu_model(),
               "per_frame": per_frame(shipped_model_path(), args.rounds, args.per_round),
               "window": live_window(app, args.seconds, Path(tmp))}
        res["seconds"] = round(time.perf_counter() - t0, 1)
    lines = [f"# Feature-map view (Inside tab) ({time.strftime('%Y-%m-%d %H:%M:%S')}, {res['seconds']} s)", "",
             f"Machine: {m['cpus']} CPUs ({res['cpu_model']}), load average at start {m['loadavg_1m']} (shared "
             f"machine: compare ratios).  Classifier engine: {res['per_frame']['engine']}.  Command: "
             f"`python -m bench.features --rounds {args.rounds} --per-round {args.per_round} --seconds {args.seconds}`",
             "", *table(res), ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    print("\n".join(lines))
    os._exit(0)  # past PySide6 + TensorFlow finalisation (see tests/conftest.py: pytest_unconfigure)


if __name__ == "__main__":
    raise SystemExit(main())
