"""A classify-only app session in a fresh process, for ``tests/gui/test_lite_session.py``.

``python -m tests.gui.lite_session_run MODEL VIDEO IMAGE...``: an offscreen main
window on MODEL classifies frames of VIDEO and the IMAGE files, then shows the
Model tab (which needs the Keras summary).  Prints one ``RESULT {json}`` line:
the engine, what was classified, and which of TensorFlow / Keras were imported
at each step.  Not a test itself: pytest would have imported TensorFlow already.
"""

from __future__ import annotations

import json
import os
import sys
import time


def heavy() -> list[str]:
    return sorted({"tensorflow", "keras"} & {m.split(".")[0] for m in sys.modules})


def main(model: str, video: str, images: list[str]) -> dict:
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["lite-session"])

    def wait(cond, timeout=120.0):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("timed out")
            app.processEvents()
            time.sleep(0.005)

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
    result = main(sys.argv[1], sys.argv[2], sys.argv[3:])
    print("RESULT " + json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # as the app does (gui.app.exit_without_finalizing)
