"""How long is the UI thread blocked?  A timer's lateness, measured while the camera and a training run.

``tools.lateness_probe.LatenessProbe`` is a precise 5 ms timer on the UI
thread; every time it fires late, the delay is how long the event loop could
not run.  The
benchmark (``python -m tools.lateness``) opens the real window, plays a 640×480
video through the camera path with live classification, trains the
notebook's ResNet-50 on SIGNS at the same time, and reports max / p99 / p50
lateness in milliseconds as JSON, with the blocked time (lateness minus the
time the UI thread waited for a CPU, on Linux)::

    HANDSIGN_DATA=../shared/datasets python -m tools.lateness --seconds 60
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.lateness", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="how long to measure (default 60)")
    p.add_argument("--model", help="model for live classification (default: the shipped one, else an untrained ResNet-50)")
    p.add_argument("--per-class", type=int, default=0, help="training images per class (default: all)")
    args = p.parse_args(argv)

    import os
    import tempfile
    from pathlib import Path

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="handsign-lateness-"))
    os.environ.setdefault("HANDSIGN_HOME", str(work / "home"))
    from core.paths import shipped_model_path
    from tools.videos import write_demo_video

    model = Path(args.model) if args.model else shipped_model_path()
    if not model.exists():  # same per-frame cost as the real thing
        from core.device import import_backend_quietly
        from core.model.files import ModelInfo, save_model
        from core.model.resnet import ResNet50

        import_backend_quietly()
        model = work / "untrained_resnet50.keras"
        save_model(ResNet50(), model, ModelInfo([str(i) for i in range(6)], (64, 64)))
    video = write_demo_video(work / "demo.avi")
    from PySide6.QtCore import QTimer

    from tools.lateness_probe import LatenessProbe
    from tools.offscreen_window import open_window

    app, win = open_window(model)
    win.frames.loop_video = True
    win.classify.open_video(video)
    tab = win.train_tab
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.preset_combo.setCurrentIndex(tab.preset_combo.findData("quick"))
    tab.max_per_class.setValue(args.per_class)
    probe = LatenessProbe()
    probe.start()
    tab.start_training()
    result: dict = {}

    def finish():
        probe.stop()
        result.update(probe.stats())
        result.update({
            "seconds": args.seconds,
            "frames_shown": win.classify.frames_shown,
            "predictions_shown": win.classify.results_shown,
            "training_batches": tab.batches_seen,
            "training_epochs": tab.epochs_seen,
            "model": model.name,
            "camera_fps": round(win.classify.fps.rate(), 1),
        })
        win.close()  # stops the training (it saves), the camera and the workers; then the app quits

    QTimer.singleShot(int(args.seconds * 1000), finish)
    app.exec()
    print(json.dumps(result))
    from gui.app import exit_without_finalizing

    return exit_without_finalizing(0)


if __name__ == "__main__":
    sys.exit(main())
