"""Entry point of the desktop app (``handsign-studio``).

The window is shown before anything imports TensorFlow; the model loads in the
background (on LiteRT, without TensorFlow, when the model's checked conversion
is at hand).  ``--smoke`` prints how long that took and quits once the model is
loaded (or failed), for tests and packaging checks; with ``--video`` it waits
for the first live predictions on that video (``gui.smoke.StartupReport``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

T0 = time.perf_counter()
CPU0 = time.process_time()

STYLE = """
QPushButton { padding: 6px 14px; min-height: 26px; }
QPushButton#primary { background: #1565c0; color: white; font-weight: bold; border-radius: 4px; }
QPushButton#primary:disabled { background: #9fb3c8; }
QTabBar::tab { font-size: 18px; padding: 8px 22px; }
QLabel#topConfidence { color: #333; }
QFrame#resultPanel { background: #fafbfc; border: 1px solid #dde1e6; border-radius: 8px; }
QStatusBar { font-size: 15px; }
"""


def apply_style(app) -> None:
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QStyleFactory

    if "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    # Large type for a projector.  Set as the application font, not in the style sheet,
    # so widgets that ask for bigger type (the top class, the epoch counter) still get it.
    font = QFont(app.font())
    font.setPixelSize(16)
    app.setFont(font)
    app.setStyleSheet(STYLE)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="handsign-studio", description="Hand Sign Studio desktop app")
    p.add_argument("--model", help="a .keras model to open instead of the shipped / last-used one")
    p.add_argument("--no-camera", action="store_true", help="do not start the last-used source at start-up")
    p.add_argument("--smoke", action="store_true", help="print start-up timings and quit when the model is loaded")
    p.add_argument("--video", metavar="FILE", help="open this video file at start-up instead of the last source")
    p.add_argument("--verbose", "-v", action="store_true")
    p.add_argument("--smoke-test", nargs="*", metavar="IMAGES", help="packaging check: classify these images or "
                   "folders once the model is loaded, print JSON and exit (see gui/smoke.py)")
    p.add_argument("--screenshot", metavar="PNG", help="with --smoke-test: save the window to this PNG before exiting")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # training runs in a child process, also in a frozen app
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from gui.startup import install_logging, watch_start

    install_logging(args.verbose)  # log file in the user folder; survives sys.stdout being None (windowed builds)
    from core.device import quiet_tensorflow

    quiet_tensorflow()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Hand Sign Studio")
    apply_style(app)
    from gui.main_window import MainWindow

    win = MainWindow(model_path=args.model, start_source=not (args.no_camera or args.video))
    win.show()
    app.processEvents()
    shown = time.perf_counter() - T0
    shown_cpu = time.process_time() - CPU0  # CPU seconds: the work itself, whatever else the machine runs
    tf_at_show = "tensorflow" in sys.modules
    app.aboutToQuit.connect(win.shutdown)
    QTimer.singleShot(0, win.start_background)
    if args.video:
        win.frames.loop_video = True  # a live source: it keeps playing until the model is ready, however long
        QTimer.singleShot(0, lambda: win.classify.open_video(args.video))
    watch_start(app, win, args, T0)  # a failed start shows a message box and is logged; runs --smoke-test
    if args.smoke:
        from gui.smoke import StartupReport

        StartupReport(app, win, T0, f"window shown after {shown:.3f} s ({shown_cpu:.3f} s CPU; "
                      f"tensorflow imported then: {tf_at_show})", live=bool(args.video))
        QTimer.singleShot(120_000, win.close)
    return exit_without_finalizing(app.exec())


def exit_without_finalizing(rc: int) -> int:
    """End the app's process now, skipping interpreter finalisation.

    By the time the event loop returns, every worker has been stopped and joined
    (``MainWindow.shutdown``) and models are saved.  Finalising PySide6 6.12 and
    TensorFlow objects together then intermittently aborts with "Fatal Python
    error: none_dealloc" (a reference-count bug in a C extension, seen in
    ``tools.lateness`` runs), which would turn a clean exit into a crash report.  Flush what matters and leave.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(int(rc or 0))


if __name__ == "__main__":
    sys.exit(main())
