"""Render presenter mode at 1920x1080 to PNG: Classify with a hand photo, the top edge's controls, a training.

    HANDSIGN_DATA=../shared/datasets python -m tools.presenter_shots --out docs/screenshots

Offscreen has no real screen, so this gives the offscreen platform one 1920x1080
screen (its ``configfile`` option) and lets presenter mode fill it exactly as it
fills a projector.  Classify opens a SIGNS test photo with the shipped model;
"presenter-controls" is the same with the cursor at the top edge (menus, tabs and
the source bar shown); Train runs a short real ResNet-50 training on a SIGNS
subset (``--per-class`` images a class, ``--epochs``) and is taken mid-run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from tools.offscreen_window import close_window, grab, open_window, settle, wait

SCREEN = {"synchronousWindowSystemEvents": False, "windowFrameMargins": False,
          "screens": [{"name": "projector", "x": 0, "y": 0, "width": 1920, "height": 1080,
                       "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.presenter_shots")
    p.add_argument("--out", default="docs/screenshots")
    p.add_argument("--image", help="a photo for Classify (default: the first SIGNS test photo of a 5)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--per-class", type=int, default=20, help="training images per class for the Train shot")
    p.add_argument("--shots", default="classify,controls,train")
    args = p.parse_args(argv)
    shots = set(args.shots.split(","))
    work = Path(tempfile.mkdtemp(prefix="handsign-presenter-"))
    (work / "screen.json").write_text(json.dumps(SCREEN))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={work / 'screen.json'}"
    os.environ["HANDSIGN_HOME"] = str(work / "home")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    from core.paths import resolve_data, shipped_model_path

    app, win = open_window(shipped_model_path(), 1400, 860)
    if win.model_error:
        raise SystemExit(win.model_error)

    def shot(name):
        path = grab(app, win, out / f"{name}.png", settle_seconds=0.5)
        print(f"wrote {path} ({win.width()}x{win.height()})")

    QCursor.setPos(QPoint(960, 540))
    image = Path(args.image) if args.image else sorted((resolve_data("signs") / "test_signs").glob("5_*.jpg"))[0]
    win.classify.open_paths([image])
    wait(app, lambda: win.classify.results_shown > 0, timeout=120)
    win.presenter.enter()
    wait(app, lambda: win.isFullScreen() and win.presenter.hint.isHidden())  # the "how to leave" hint goes after 4 s
    if "classify" in shots:
        shot("presenter-classify")
    if "controls" in shots:
        QCursor.setPos(QPoint(960, 2))
        wait(app, lambda: win.classify_tab.source_bar.isVisible(), timeout=5)
        shot("presenter-controls")
        QCursor.setPos(QPoint(960, 540))
        wait(app, lambda: win.classify_tab.source_bar.isHidden(), timeout=5)
    if "train" in shots:
        _train(app, win, args, shot)
    return close_window(app, win)


def _train(app, win, args, shot) -> None:
    tt = win.train_tab
    win.tabs.setCurrentWidget(tt)
    tt.dataset_combo.setCurrentIndex(tt.dataset_combo.findData("signs"))
    tt.preset_combo.setCurrentIndex(tt.preset_combo.findData("quick"))
    tt.epochs.setValue(args.epochs)
    tt.max_per_class.setValue(args.per_class)
    tt.start_training()
    wait(app, lambda: tt.epochs_seen >= max(2, args.epochs - 1), timeout=900.0)
    settle(app, 1.0)
    shot("presenter-train")
    tt.stop_training()
    wait(app, lambda: not tt.running)


if __name__ == "__main__":
    sys.exit(main())
