"""Presenter mode's costs, against a repaint of the whole window in the same run.

    python -m bench.presenter [--reps 15]

A real MainWindow offscreen on a 1920x1080 screen (the offscreen platform's
``configfile``), without the model (nothing here touches TensorFlow).  Measured
alternately, so the shared machine's noise falls on every row alike:

* the baseline: one repaint of the whole window at 1920x1080 (``grab()``), normal type;
* the same repaint in presenter mode (type x1.5, the digit sized to the screen);
* one prediction shown and its result panel repainted, normal and in presenter mode
  (what every classified frame costs the UI thread; five in a row per round);
* entering and leaving presenter mode (hide the controls, full screen, rescale every
  font, plot and style sheet), one text-size step (Ctrl++ then Ctrl+-), and one tick of
  the 10 Hz cursor check (nothing to change, and an edge reveal + hide).

Writes bench/results/presenter.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench.common import RESULTS, cpu_model, emit, median, percentile

FRAMES = 5  # predictions shown per round in each mode
SCREEN = {"synchronousWindowSystemEvents": False, "windowFrameMargins": False,
          "screens": [{"name": "projector", "x": 0, "y": 0, "width": 1920, "height": 1080,
                       "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}


def _ms(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def _prediction(i: int):
    probs = [0.02] * 6
    probs[i % 6] = 0.9
    return SimpleNamespace(top_class=str(i % 6), confidence=0.9, unsure=False, probabilities=probs, top_index=i % 6)


def measure(reps: int) -> dict:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from gui.app import apply_style
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    win = MainWindow(start_source=False)
    win.classify_tab.show_classes([str(i) for i in range(6)])
    win.show()
    win.setGeometry(0, 0, 1920, 1080)
    app.processEvents()
    p, tab = win.presenter, win.classify_tab
    rows = {k: [] for k in ("repaint", "repaint_presenter", "frame", "frame_presenter", "enter", "leave",
                            "text_step", "tick_idle", "tick_reveal")}

    def settle():
        app.processEvents()

    def frame(i):
        tab.show_prediction(_prediction(i))
        tab.results.grab()

    def frames(key):
        settle()
        for j in range(FRAMES):  # frames in a row, as a camera delivers them (a new class each time)
            rows[key].append(_ms(frame, j))

    def reveal_and_hide(top, centre):
        p.track(top)
        settle()
        p.track(centre)
        settle()

    for _ in range(reps):
        rows["repaint"].append(_ms(win.grab))
        frames("frame")
        rows["text_step"].append(_ms(lambda: (p.larger(), p.smaller(), settle())) / 2)
        rows["enter"].append(_ms(lambda: (p.enter(), settle())))
        rows["repaint_presenter"].append(_ms(win.grab))
        frames("frame_presenter")
        centre, top = win.mapToGlobal(QPoint(960, 540)), win.mapToGlobal(QPoint(960, 2))
        rows["tick_idle"].append(_ms(p.track, centre))
        rows["tick_reveal"].append(_ms(reveal_and_hide, top, centre))
        rows["leave"].append(_ms(lambda: (p.leave(), settle())))
        win.setGeometry(0, 0, 1920, 1080)
        settle()
    win.shutdown()
    return {k: {"p50_ms": round(median(v), 3), "p90_ms": round(percentile(v, 90), 3), "n": len(v)}
            for k, v in rows.items()}


LABELS = {
    "repaint": "window repaint, normal type (baseline)",
    "repaint_presenter": "window repaint, presenter mode",
    "frame": "one prediction shown + result panel repainted, normal",
    "frame_presenter": "one prediction shown + result panel repainted, presenter",
    "enter": "enter presenter mode (F11)",
    "leave": "leave presenter mode (Esc)",
    "text_step": "one text-size step (Ctrl++ or Ctrl+-)",
    "tick_idle": "cursor check, nothing to change (10 Hz)",
    "tick_reveal": "cursor check: reveal the top controls, then hide them",
}


def report(res: dict, reps: int) -> str:
    base = res["rows"]["repaint"]["p50_ms"]
    lines = [f"# Presenter mode (bench.presenter, {reps} rounds, {res['date']})", "",
             f"CPU: {res['cpu']} ({res['cores']} cores, shared with other jobs); Qt offscreen, one 1920x1080 screen; "
             "no model loaded.", "",
             "| what | p50 ms | p90 ms | p50 / window repaint |", "|---|---:|---:|---:|"]
    for key, label in LABELS.items():
        r = res["rows"][key]
        lines.append(f"| {label} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p50_ms'] / base:.2f}x |")
    lines += ["", "The baseline and every row ran alternately in one process; ratios are of medians.  Presenter "
              "mode paints less than the normal window, even with larger type: its controls (menus, tabs, the "
              "source bar, the sliders and class buttons under the bars) are hidden."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.presenter")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="handsign-bench-presenter-"))
    (work / "screen.json").write_text(json.dumps(SCREEN))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={work / 'screen.json'}"
    os.environ["HANDSIGN_HOME"] = str(work / "home")
    res = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu_model(), "cores": os.cpu_count(), "reps": args.reps,
           "rows": measure(args.reps)}
    text = report(res, args.reps)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "presenter.md").write_text(text)
        (RESULTS / "presenter.json").write_text(json.dumps(res, indent=1) + "\n")
    emit(res)
    from gui.app import exit_without_finalizing

    return exit_without_finalizing(0)


if __name__ == "__main__":
    sys.exit(main())
