"""The file dialogs: open images, a folder of images, a video, a model; the folder to export into.

One place builds them, so the menus, the tab buttons and the tests all open the
same dialogs.  Each returns what was chosen, or nothing when the user cancels.
Native dialogs are used where the platform has them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
VIDEO_FILTER = "Videos (*.avi *.mp4 *.mov *.mkv *.webm *.m4v);;All files (*)"
MODEL_FILTER = "Keras model (*.keras)"


def _ask(parent: QWidget | None, title: str, mode: QFileDialog.FileMode, name_filter: str = "") -> list[str]:
    dialog = QFileDialog(parent, title, "", name_filter)
    dialog.setObjectName("openDialog")
    dialog.setFileMode(mode)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    if mode == QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return []
        return list(dialog.selectedFiles())
    finally:
        dialog.deleteLater()


def ask_image_files(parent: QWidget | None) -> list[str]:
    return _ask(parent, "Open images", QFileDialog.FileMode.ExistingFiles, IMAGE_FILTER)


def ask_image_folder(parent: QWidget | None) -> str:
    chosen = _ask(parent, "Open a folder of images", QFileDialog.FileMode.Directory)
    return chosen[0] if chosen else ""


def ask_video_file(parent: QWidget | None) -> str:
    chosen = _ask(parent, "Open video", QFileDialog.FileMode.ExistingFile, VIDEO_FILTER)
    return chosen[0] if chosen else ""


def ask_model_file(parent: QWidget | None) -> str:
    chosen = _ask(parent, "Open model", QFileDialog.FileMode.ExistingFile, MODEL_FILTER)
    return chosen[0] if chosen else ""


def ask_export_folder(parent: QWidget | None) -> str:
    chosen = _ask(parent, "Export into folder", QFileDialog.FileMode.Directory)
    return chosen[0] if chosen else ""
