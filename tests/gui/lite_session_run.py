"""A classify-only app session in a fresh process, for ``tests/gui/test_lite_session.py``.

``python -m tests.gui.lite_session_run MODEL VIDEO IMAGE... [--train] [--inside] [--gallery M]``: an
offscreen main window on MODEL classifies frames of VIDEO and the IMAGE files,
with ``--train`` shows the Train tab (its device list comes from a probe child)
and trains a tiny model for one epoch on SIGNS (in the training child), with
``--inside`` shows the Inside tab while the video plays (its feature maps need
Keras), with ``--gallery M`` asks for the Train tab gallery's heatmaps of model
file M, then shows the Model tab (which needs the Keras summary).  Prints one ``RESULT {json}`` line:
the engine, what was classified, and which of TensorFlow / Keras were imported
at each step.  Not a test itself: pytest would have imported TensorFlow already.
"""

from __future__ import annotations

import json
import os
import sys


def heavy() -> list[str]:
    return sorted({"tensorflow", "keras"} & {m.split(".")[0] for m in sys.modules})


def _train_one_epoch(win, wait, out: dict) -> None:
    """The Train tab: its device list (a probe child) and a one-epoch training (a training child)."""
    from tests.conftest import tiny_builder

    tab = win.train_tab
    win.tabs.setCurrentWidget(tab)
    wait(lambda: win.backend_loaded)  # the device probe answered
    out["devices"] = [tab.device_combo.itemData(i) for i in range(tab.device_combo.count())]
    out["after_devices"] = heavy()
    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(1)
    tab.augment.setChecked(False)
    tab.max_per_class.setValue(10)
    assert tab.start_training()
    wait(lambda: not tab.running, timeout=300)
    out["training"] = tab.outcome.result.status
    out["after_training"] = heavy()
    win.tabs.setCurrentWidget(win.classify_tab)


def _inside_tab_first(win, wait, results: list, video: str, out: dict) -> None:
    """The Inside tab before anything loaded Keras: TensorFlow comes in beside the worker, frames go on."""
    inside = win.inside_tab.controller
    answered: list[int] = []  # len(results) when the first feature maps came (both signals on the worker's thread)
    win.worker.features_ready.connect(lambda _r: answered or answered.append(len(results)))
    keras_load: dict = {}  # len(results) when the Keras model's load began and ended (also on the worker's thread)

    def mark(text: str) -> None:
        if text.startswith("Loading the Keras model"):
            keras_load.setdefault("start", len(results))
        elif text == "Keras model ready":
            keras_load.setdefault("end", len(results))

    win.worker.progress.connect(mark)
    win.classify.open_video(video)
    wait(lambda: sum(r.kind == "frame" for r in results) >= len(out["frames"]) + 1)
    before = len(results)
    win.tabs.setCurrentWidget(win.inside_tab)
    wait(lambda: (inside.results_shown > 0 or inside.failed) and answered, timeout=180.0)
    out["inside_failed"] = inside.failed
    out["frames_while_loading_inside"] = sum(r.kind == "frame" and r.error is None
                                             for r in results[before:answered[0]])
    out["frames_while_loading_keras_model"] = sum(
        r.kind == "frame" and r.error is None for r in results[keras_load.get("start", 0):keras_load.get("end", 0)])
    out["keras_load_marks"] = [keras_load.get("start"), keras_load.get("end"), before, answered[0]]
    out["after_inside"] = heavy()


def _gallery_first(win, wait, results: list, video: str, gallery_model: str, out: dict) -> None:
    """A test mistake clicked in the Train tab's gallery before anything imported TensorFlow: it is imported
    beside the worker, frames go on, and the maps of ``gallery_model`` come back."""
    import numpy as np

    explained: list = []
    answered: list[int] = []  # len(results) when the maps came (both signals on the worker's thread)
    win.worker.explained.connect(lambda maps: (answered or answered.append(len(results)), explained.append(maps)))
    win.classify.open_video(video)
    wait(lambda: sum(r.kind == "frame" for r in results) >= len(out["frames"]) + 1)
    before = len(results)
    image = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    win.train_tab.results.explain_requested.emit(gallery_model, image, [0, 3], "a test mistake")
    wait(lambda: bool(explained), timeout=180.0)
    maps = explained[0]
    out["gallery_error"] = str(maps.error) if maps.error is not None else None
    out["gallery_maps"] = [list(m.shape) for m in maps.maps]
    out["frames_while_loading_gallery"] = sum(r.kind == "frame" and r.error is None
                                              for r in results[before:answered[0]])
    out["after_gallery"] = heavy()


def main(model: str, video: str, images: list[str], train: bool = False, inside: bool = False,
         gallery: str | None = None) -> dict:
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from tools.offscreen_window import wait as window_wait

    app = QApplication.instance() or QApplication(["lite-session"])

    def wait(cond, timeout=120.0):
        window_wait(app, cond, timeout)

    win = MainWindow(model_path=model, start_source=False)
    win.resize(1200, 800)
    win.show()
    win.start_background()
    wait(lambda: win.report is not None or win.model_error is not None)
    out: dict = {"engine": win.report.engine if win.report else None, "error": win.model_error,
                 "after_load": heavy(), "model_tab_summary_before": bool(win.model_tab.report.summary)}
    results: list = []
    win.worker.result_ready.connect(results.append)
    win.classify.open_video(video)
    wait(lambda: sum(r.kind == "frame" for r in results) >= 5)
    out["after_frames"] = heavy()
    win.set_find_hand(False)  # the files: the centre square, so the test can compare probabilities
    win.classify.open_paths(images)
    wait(lambda: sum(r.kind == "file" for r in results) >= 1)
    for _ in images[1:]:
        done = sum(r.kind == "file" for r in results)
        win.classify.next_image()
        wait(lambda d=done: sum(r.kind == "file" for r in results) > d)
    out["after_files"] = heavy()
    out["frames"] = [{"error": str(r.error) if r.error else None, "no_hand": r.no_hand,
                      "top": r.prediction.top_class if r.prediction else None} for r in results if r.kind == "frame"]
    out["files"] = [{"path": r.path, "error": str(r.error) if r.error else None, "no_hand": r.no_hand,
                     "probabilities": r.prediction.probabilities.tolist() if r.prediction else None}
                    for r in results if r.kind == "file"]
    if train:
        _train_one_epoch(win, wait, out)
    if inside:
        _inside_tab_first(win, wait, results, video, out)
    if gallery:
        _gallery_first(win, wait, results, video, gallery, out)
    # The Model tab needs the Keras summary: TensorFlow is imported in the background while the video plays on.
    win.classify.open_video(video)
    wait(lambda: sum(r.kind == "frame" for r in results) >= len(out["frames"]) + 1)
    before = len(results)
    win.tabs.setCurrentWidget(win.model_tab)
    wait(lambda: bool(win.model_tab.report.summary))
    out["frames_while_loading_keras"] = sum(r.kind == "frame" and r.error is None for r in results[before:])
    out["summary_layers"] = len(win.model_tab.report.summary["layers"])
    out["status"] = win.model_status.text()
    out["after_summary"] = heavy()
    win.close()
    wait(lambda: win.closed_cleanly)
    return out


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args = sys.argv[1:]
    train, inside = "--train" in args, "--inside" in args
    gallery = args[args.index("--gallery") + 1] if "--gallery" in args else None
    if gallery:
        args.remove("--gallery")
        args.remove(gallery)
    args = [a for a in args if a not in ("--train", "--inside")]
    result = main(args[0], args[1], args[2:], train=train, inside=inside, gallery=gallery)
    print("RESULT " + json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # as the app does (gui.app.exit_without_finalizing)
