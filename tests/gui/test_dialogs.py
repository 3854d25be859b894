"""The file dialogs (gui/dialogs.py) opened from the Classify tab's buttons and the window's menus,
answered like a person would: choose files or a folder and accept, or cancel."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_for
from tests.gui.dialogs import DialogAnswer


@pytest.fixture
def tab_and_requests(qtbot):
    """A real ClassifyTab (no inference worker) and what its controller asks the worker for."""
    from gui.sources import FrameService
    from gui.tabs.classify import ClassifyTab

    frames = FrameService()
    tab = ClassifyTab(frames)
    qtbot.addWidget(tab)
    tab.show()
    asked = {"files": [], "models": []}
    tab.controller.request_file.connect(lambda path, region, seq, hands: asked["files"].append(path))
    tab.controller.request_model.connect(asked["models"].append)
    yield tab, asked
    frames.shutdown()


def test_images_button_opens_the_chosen_files(tab_and_requests, tiny_signs_tree):
    tab, asked = tab_and_requests
    chosen = sorted((tiny_signs_tree / "3").glob("*.jpg"))[:2]
    answer = DialogAnswer(chosen)
    tab.source_bar.images_button.click()
    assert answer.seen == "Open images"
    assert tab.controller.mode == "images" and tab.controller.files == chosen
    assert asked["files"] == [str(chosen[0])]


def test_folder_button_opens_every_image_in_the_folder(tab_and_requests, tiny_signs_tree):
    tab, asked = tab_and_requests
    answer = DialogAnswer([tiny_signs_tree / "2"])
    tab.source_bar.folder_button.click()
    assert answer.seen == "Open a folder of images"
    assert len(tab.controller.files) == 12 and all(p.parent == tiny_signs_tree / "2" for p in tab.controller.files)


def test_video_button_plays_the_chosen_video(tab_and_requests, qtbot, signs_video):
    tab, _ = tab_and_requests
    path, labels = signs_video
    answer = DialogAnswer([path])
    tab.source_bar.video_button.click()
    assert answer.seen == "Open video"
    assert tab.controller.mode == "video" and tab.frames.video_path == path
    wait_for(qtbot, lambda: tab.controller.frames_shown > 0)


def test_model_banner_opens_the_chosen_model(tab_and_requests, tmp_path):
    tab, asked = tab_and_requests
    model = tmp_path / "mine.keras"
    model.write_bytes(b"checked by the worker, not the dialog")
    tab.controller.on_model_error(RuntimeError("the shipped model is missing"))
    answer = DialogAnswer([model])
    tab.model_banner.button.click()
    assert answer.seen == "Open model" and asked["models"] == [str(model)]


def test_cancel_changes_nothing(tab_and_requests):
    tab, asked = tab_and_requests
    for button in (tab.source_bar.images_button, tab.source_bar.folder_button, tab.source_bar.video_button):
        answer = DialogAnswer(None)
        button.click()
        assert answer.seen is not None
    assert tab.controller.mode == "none" and asked == {"files": [], "models": []}


def test_window_menu_shortcuts_open_the_dialogs(make_window, qtbot, tiny_signs_tree, signs_model):
    """Ctrl+Shift+O from another tab: the folder dialog, then the Classify tab shows the folder."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    win = make_window(model_path=signs_model)
    win.tabs.setCurrentWidget(win.model_tab)
    answer = DialogAnswer([tiny_signs_tree / "4"])
    QTest.keyClick(win, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert answer.seen == "Open a folder of images"
    assert win.tabs.currentWidget() is win.classify_tab
    wait_for(qtbot, lambda: win.classify.results_shown > 0)
    assert len(win.classify.files) == 12 and "Image 1 of 12" in win.classify_tab.source_label.text()
    win.activateWindow()  # window shortcuts need the active window: the closed dialog was it
    wait_for(qtbot, win.isActiveWindow)
    answer = DialogAnswer([signs_model])
    QTest.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert answer.seen == "Open model"
