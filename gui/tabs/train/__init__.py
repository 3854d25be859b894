"""The Train tab: choose data and settings, watch the network learn, keep the result.

One file per job: ``settings_panel`` (data, presets, device, run buttons),
``live_view`` (progress, curves, validation strip) drawing a
``history.CurveHistory``, ``results_view`` (log, test accuracy, confusion
matrix, mistakes, use / save), ``controller`` (jobs, the training worker, one
run's state) and ``tab`` (:class:`TrainTab`, what the main window uses).
"""

from gui.tabs.train.tab import TrainTab

__all__ = ["TrainTab"]
