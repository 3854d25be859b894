"""Checkable buttons: the "Find hand" toggle, and showing a toggle's state without it counting as a click."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton


def find_hand_button() -> QPushButton:
    """The "Find hand" toggle (the Classify and Collect tabs each have one; the window keeps them in step)."""
    b = QPushButton("Find hand")
    b.setCheckable(True)
    b.setChecked(True)
    b.setToolTip("Find the hand and classify the square around it (Ctrl+H). "
                 "Off: classify the box you place yourself.")
    return b


def show_checked(button, on: bool) -> None:
    """Check ``button`` without emitting its signals (what is shown follows the state; it is not a new click)."""
    button.blockSignals(True)
    button.setChecked(bool(on))
    button.blockSignals(False)
