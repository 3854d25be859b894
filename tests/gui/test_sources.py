"""The frame service's camera listing: probed on a thread, reported by a signal on the UI thread."""

from __future__ import annotations

import threading


def test_camera_listing_arrives_as_a_signal_on_the_ui_thread(qtbot):
    from gui.sources import FrameService
    from gui.tabs.classify import ClassifyTab

    frames = FrameService()
    tab = ClassifyTab(frames)
    qtbot.addWidget(tab)
    seen = []
    frames.cameras_listed.connect(lambda cameras: seen.append((list(cameras), threading.current_thread())))
    with qtbot.waitSignal(frames.cameras_listed, timeout=30_000):
        frames.list_cameras_async()
        frames.list_cameras_async()  # a second ask while probing is ignored
    assert len(seen) == 1 and seen[0][1] is threading.main_thread()
    assert frames._probe is None  # the probing thread was joined
    combo = tab.source_bar.camera_combo
    if not seen[0][0]:  # no camera on this machine: the list says so
        assert combo.count() == 1 and combo.itemText(0) == "No camera found" and tab.source_bar.selected_camera() is None
    else:
        assert combo.count() == len(seen[0][0])
    frames.shutdown()
