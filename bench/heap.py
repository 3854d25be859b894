"""A full cycle collection in the running app, with and without the frozen start-up heap.

Python's cycle collector walks every tracked object in a full (generation 2)
collection while it holds the GIL, so the UI thread waits for the whole walk.
The app freezes its heap after each big load (``gui.threads.freeze_heap``: the
model, TensorFlow, a Keras model), so a later full collection walks only what
was made since.  This starts the real ``MainWindow`` offscreen on the shipped
model, waits for the model, plays a looping 640 x 480 video through the live view
(classified as the camera would be) and, after every two seconds of it, times
``gc.collect()`` on the UI thread:

* **frozen**: the heap as the app leaves it (the window's own ``freeze_heap``), so the
  collection walks what was made since;
* **unfrozen**: ``gc.unfreeze()`` first, as every session was before 2026-12-04 (then
  frozen again, so the next frozen round starts from what survived);

alternating, ``--rounds`` times each; then again after TensorFlow and Keras are
imported (``gui.threads.ensure_backend``, as the heatmap or the Model tab's
summary would do).  Objects walked, median and largest ms, and the ratio.

    python -m bench.heap [--rounds 5] [--out bench/results/heap.md]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, cpu_model, median


def _collect_ms() -> float:
    t0 = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - t0) * 1000.0


def measure(app, rounds: int) -> dict:
    """Frozen against unfrozen full collections, alternating, each after two seconds of live view."""
    from tools.offscreen_window import settle

    ms = {"frozen": [], "unfrozen": []}
    walked = {"frozen": [], "unfrozen": []}
    for _ in range(rounds):
        settle(app, 2.0)
        walked["frozen"].append(len(gc.get_objects()))  # the heap as the app leaves it: what it made since
        ms["frozen"].append(_collect_ms())
        settle(app, 2.0)
        gc.unfreeze()  # every object, as before 2026-12-04
        walked["unfrozen"].append(len(gc.get_objects()))
        ms["unfrozen"].append(_collect_ms())
        gc.freeze()  # back as the app had it: only long-lived objects survived that collection
    return {k: {"objects_walked": int(median(walked[k])), "median_ms": round(median(v), 1), "max_ms": round(max(v), 1)}
            for k, v in ms.items()}


def run(app, win, rounds: int, video: Path) -> dict:
    """Both heaps on the open window, with ``video`` looping in its live view."""
    from gui.threads import ensure_backend

    win.frames.loop_video = True
    win.classify.open_video(video)
    frames0 = win.classify.frames_shown
    rows = {"after start-up (LiteRT, no TensorFlow)": measure(app, rounds)}
    ensure_backend()
    rows["after TensorFlow and Keras are imported"] = measure(app, rounds)
    rows["frames_shown"] = win.classify.frames_shown - frames0
    return rows


def table(rows: dict, rounds: int) -> str:
    lines = ["# A full cycle collection on the UI thread, with and without the frozen start-up heap", "",
             f"CPU: {cpu_model()}. Command: `python -m bench.heap --rounds {rounds}` (the real window offscreen, "
             "the shipped model; frozen and unfrozen alternate).", "",
             "| heap | objects walked, unfrozen | unfrozen: median / max ms | objects walked, frozen | "
             "frozen: median / max ms | unfrozen / frozen |", "| --- | --- | --- | --- | --- | --- |"]
    lines[2] += f" {rows['frames_shown']} video frames were shown and classified meanwhile."
    for name, r in rows.items():
        if name == "frames_shown":
            continue
        u, f = r["unfrozen"], r["frozen"]
        ratio = u["median_ms"] / max(f["median_ms"], 0.1)
        lines.append(f"| {name} | {u['objects_walked']:,} | {u['median_ms']} / {u['max_ms']} | "
                     f"{f['objects_walked']:,} | {f['median_ms']} / {f['max_ms']} | {ratio:.0f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.heap", description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", default=str(RESULTS / "heap.md"))
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ["HANDSIGN_HOME"] = str(Path(tmp) / "home")  # not the user's own folder
        from gui.app import exit_without_finalizing
        from tools.offscreen_window import model_or_shipped, open_window, wait
        from tools.videos import write_demo_video

        app, win = open_window(model_or_shipped(None))
        if not win.classify.model_ready:
            raise SystemExit(f"the model did not load: {win.model_error}")
        rows = run(app, win, args.rounds, write_demo_video(Path(tmp) / "demo.avi", seconds=2.0))
        text = table(rows, args.rounds)
        print(text)
        out = Path(args.out)
        out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps({"cpu": cpu_model(), "rows": rows}, indent=1) + "\n")
        win.close()  # as tools.offscreen_window.close_window, but the temporary folder goes before the exit
        wait(app, lambda: win.closed_cleanly, timeout=600)
    return exit_without_finalizing(0)


if __name__ == "__main__":
    sys.exit(main())
