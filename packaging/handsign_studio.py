"""Entry point of the frozen app (PyInstaller runs this file; ``handsign-studio`` is ``gui.app:main``).

Anything that escapes ``main`` -- a module missing from a broken bundle, a Qt
error before the window exists -- is written to the log file and shown in a
message box by ``gui.startup.run_guarded``, so a double-click never just
vanishes.
"""

import multiprocessing
import sys


def _main() -> int:
    from gui.app import main

    return main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    from gui.startup import run_guarded

    sys.exit(run_guarded(_main))
