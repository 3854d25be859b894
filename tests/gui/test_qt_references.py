"""Painting must not wear out ``None``: a Qt binding bug that crashes the live view after minutes.

PySide6 6.12.0 returns ``None`` from every void ``QPainter`` call without taking
a reference to it (measured: one reference lost per ``drawRect``, ``fillRect``,
``setPen``, ``drawEllipse`` ...).  On Python 3.11, where ``None`` is not yet
immortal, its count reaches zero after some hundred thousand calls and the app
aborts ("none_dealloc: deallocating None"): about two minutes of a live camera
with the hand's landmarks drawn.  6.11.3, pinned, has no such leak; this test
paints the frame view as the live camera does and fails on a binding that leaks.
"""

from __future__ import annotations

import sys

import numpy as np

from core.images import Region
from gui.widgets.frame_view import FrameView


def test_painting_the_live_view_keeps_every_reference_to_none(qtbot):
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.set_frame(np.full((480, 640, 3), 120, np.uint8))
    view.set_follow_hand(True)
    landmarks = np.random.default_rng(0).uniform(100, 300, (21, 3)).astype(np.float32)
    view.set_hand(Region(100, 100, 220, 220), landmarks)
    view.grab()  # first paint: caches, fonts
    before = sys.getrefcount(None)
    for _ in range(200):
        view.grab()  # ~30 painter calls each: 6,000 lost references on a leaking binding
    lost = before - sys.getrefcount(None)
    assert lost < 200, f"{lost} references to None lost in 200 paints: the Qt binding leaks (see module docstring)"
