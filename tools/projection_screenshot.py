"""Render the Train tab's feature projection mid-training to PNG (docs/screenshots/projection.png).

    HANDSIGN_DATA=../shared/datasets python -m tools.projection_screenshot [--shot-after 6] [--epochs N --per-class K]

A real run of the notebook's ResNet-50 with the ``quick`` preset on SIGNS (as
the preset is: all training images, 10 validation images a class, 8 epochs of batch 32;
``--epochs`` / ``--per-class`` change it, and the panel then says "Custom"), in
the real main window offscreen at 1200x800 with a throw-away user folder.  After ``--shot-after`` epochs it hovers one projected point (its card
shows) and saves the window; then it stops the run and closes.  Takes minutes on
a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tools.offscreen_window import close_window, grab, model_or_shipped, open_window, settle, wait


def _hover_a_point(app, view) -> None:
    """Move the mouse onto a point near the middle of the cloud, so its card shows."""
    import numpy as np
    from PySide6.QtTest import QTest

    wait(app, lambda: not view.animating, timeout=10)
    pos = view.positions
    i = int(np.linalg.norm(pos - np.median(pos, axis=0), axis=1).argmin())
    QTest.mouseMove(view.plot.viewport(), view.plot.mapFromScene(view.scene_position(i)))
    settle(app, 0.3)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.projection_screenshot")
    p.add_argument("--out", default="docs/screenshots/projection.png")
    p.add_argument("--epochs", type=int, help="default: the preset's")
    p.add_argument("--per-class", type=int, help="training images per class (default: all)")
    p.add_argument("--shot-after", type=int, default=6, help="epochs before the screenshot")
    p.add_argument("--width", type=int, default=1200)
    p.add_argument("--height", type=int, default=800)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HANDSIGN_HOME"] = tempfile.mkdtemp(prefix="handsign-projection-")

    app, win = open_window(model_or_shipped(None), args.width, args.height, wait_for_model=False)
    tt = win.train_tab
    win.tabs.setCurrentWidget(tt)
    tt.dataset_combo.setCurrentIndex(tt.dataset_combo.findData("signs"))
    tt.preset_combo.setCurrentIndex(tt.preset_combo.findData("quick"))
    if args.epochs:
        tt.epochs.setValue(args.epochs)
    if args.per_class:
        tt.max_per_class.setValue(args.per_class)
    if not tt.start_training():
        print(f"training did not start: {tt.banner.text()!r}", flush=True)
        return close_window(app, win, 1)
    wait(app, lambda: tt.epochs_seen >= args.shot_after or not tt.running, timeout=1800)
    if tt.epochs_seen < args.shot_after:
        raise SystemExit("the run ended early:\n" + tt.log_view.toPlainText()[-2000:])
    settle(app, 1.0)
    _hover_a_point(app, tt.projection)
    out = grab(app, win, Path(args.out), settle_seconds=0)
    print(f"wrote {out} after epoch {tt.projection.epoch}; hovered point {tt.projection.hovered}")
    tt.stop_training()
    return close_window(app, win)


if __name__ == "__main__":
    sys.exit(main())
