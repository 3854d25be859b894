"""A coloured message line with an optional action button: errors and notices that never block."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class MessageBanner(QFrame):
    """A coloured one-line message with an optional action button (e.g. Retry)."""

    action_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Retry")
        self.button.clicked.connect(self.action_clicked)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(36)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        lay.addWidget(close)
        self.hide()

    def show_message(self, text: str, *, kind: str = "error", action: str | None = None) -> None:
        colors = {"error": ("#fdecea", "#8e1c1c"), "info": ("#e8f0fe", "#174ea6"), "ok": ("#e6f4ea", "#0d652d")}
        bg, fg = colors.get(kind, colors["info"])
        self.setStyleSheet(f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 6px; }}"
                           f" QFrame#banner QLabel {{ color: {fg}; }}")
        self.label.setText(text)
        self.button.setVisible(action is not None)
        if action:
            self.button.setText(action)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()
