"""Render each tab of the real app in a realistic state to PNG (for the README).

    HANDSIGN_DATA=../shared/datasets python -m tools.screenshots --out docs/screenshots [--model M.keras]

Runs offscreen with a throw-away user folder.  Classify plays a video made of
SIGNS test images through the camera path; Train runs a short real ResNet-50
training on a SIGNS subset; Model selects a block; Collect captures a burst.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _wait(app, cond, timeout=600.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("screenshot state not reached")
        app.processEvents()
        time.sleep(0.01)


def _settle(app, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.screenshots")
    p.add_argument("--out", default="docs/screenshots")
    p.add_argument("--model", help="model for Classify (default: the shipped one)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--per-class", type=int, default=30, help="training images per class for the Train tab")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--height", type=int, default=860)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="handsign-shots-"))
    os.environ["HANDSIGN_HOME"] = str(work / "home")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from core.paths import shipped_model_path
    from gui.app import apply_style
    from gui.main_window import MainWindow
    from tools.videos import write_demo_video

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    model = Path(args.model) if args.model else shipped_model_path()
    win = MainWindow(model_path=str(model) if model.exists() else None, start_source=False)
    win.resize(args.width, args.height)
    win.show()
    win.start_background()
    _wait(app, lambda: win.classify.model_ready or win.model_error)

    def shot(name):
        _settle(app, 0.3)
        path = out / f"{name}.png"
        win.grab().save(str(path))
        print(f"wrote {path}")

    # Classify: the camera path with a video of SIGNS test images, paused on a frame.
    video = write_demo_video(work / "demo.avi", seconds=3.0)
    win.classify_tab.smoothing_slider.setValue(1)
    win.classify.open_video(video)
    _wait(app, lambda: win.classify.results_shown >= 12)
    win.classify.set_paused(True)
    _settle(app, 0.5)
    shot("classify")

    # Collect: a burst from the same video for two classes.
    win.classify.set_paused(False)
    win.frames.loop_video = True
    win.classify.open_video(video)
    tab = win.collect_tab
    win.tabs.setCurrentWidget(tab)
    for cls, n in (("2", 6), ("5", 14)):
        tab.select_class(cls)
        tab.start_burst(count=n, countdown=0, interval_ms=80)
        _wait(app, lambda: not tab.capturing)
    shot("collect")
    win.frames.stop()

    # Model: the summary table and the picture, block 3a selected.
    win.tabs.setCurrentWidget(win.model_tab)
    _wait(app, lambda: win.model_tab.report is not None)
    if any(b.key == "3a" for b in win.model_tab.arch.blocks):
        win.model_tab.select_block("3a")
    shot("model")

    # Train: a short real ResNet-50 training on a SIGNS subset, shown mid-run and at the end.
    tt = win.train_tab
    win.tabs.setCurrentWidget(tt)
    tt.dataset_combo.setCurrentIndex(tt.dataset_combo.findData("signs"))
    tt.preset_combo.setCurrentIndex(tt.preset_combo.findData("quick"))
    tt.epochs.setValue(args.epochs)
    tt.max_per_class.setValue(args.per_class)
    tt.start_training()
    _wait(app, lambda: tt.epochs_seen >= max(2, args.epochs // 2 + 1))
    _settle(app, 1.0)
    shot("train")
    _wait(app, lambda: not tt.running)
    shot("train_results")

    win.close()
    _wait(app, lambda: win.closed_cleanly)
    from gui.app import exit_without_finalizing

    return exit_without_finalizing(0)


if __name__ == "__main__":
    sys.exit(main())
