"""Collect tab: a burst from the camera path (a video here), thumbnails, counts, delete."""

from __future__ import annotations

from tests.gui.conftest import wait_for


def test_burst_capture_thumbnails_counts_and_delete(make_window, qtbot, signs_video, signs_model):
    from core.data.datasets import load_dataset
    from core.paths import collected_dir

    path, _ = signs_video
    win = make_window(model_path=signs_model)
    win.frames.loop_video = True
    win.classify.open_video(path)
    tab = win.collect_tab
    win.tabs.setCurrentWidget(tab)
    wait_for(qtbot, lambda: tab.latest is not None)
    tab.select_class("4")
    assert tab.start_burst(count=5, countdown=1, interval_ms=60)
    assert tab.overlay.isVisible() and tab.overlay.text() == "1"  # the countdown
    wait_for(qtbot, lambda: not tab.capturing, timeout=15_000)
    files = sorted((collected_dir() / "4").glob("*.jpg"))
    assert len(files) == 5 and tab.counts()["4"] == 5
    assert tab.samples.thumbs.count() == 5 and "5 samples" in tab.capture.class_list.item(4).text()
    assert str(collected_dir()) in tab.samples.folder_label.text()
    # A second class, then the folder tree is a dataset `handsign train` can read.
    tab.select_class("1")
    assert tab.start_burst(count=3, countdown=0, interval_ms=50)
    wait_for(qtbot, lambda: not tab.capturing, timeout=15_000)
    ds = load_dataset(collected_dir(), test_split=0.0, val_split=0.0)
    assert ds.class_names == ["1", "4"] and len(ds.train) == 8
    # Delete two samples of class 1.
    tab.samples.thumbs.item(0).setSelected(True)
    tab.samples.thumbs.item(1).setSelected(True)
    assert tab.delete_selected() == 2
    assert tab.counts()["1"] == 1 and tab.samples.thumbs.count() == 1
    tab.samples.thumbs.item(0).setSelected(True)
    tab.delete_selected()
    assert not (collected_dir() / "1").exists()  # no empty class folder left to break training


def test_burst_without_a_camera_says_so(make_window):
    win = make_window()
    assert not win.collect_tab.start_burst(count=3, countdown=0)
    assert "start a camera" in win.collect_tab.banner.text()
