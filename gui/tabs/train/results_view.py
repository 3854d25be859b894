"""The bottom of the Train tab: the run's log, and when it ends its results.

Results are the test accuracy, the confusion matrix, the misclassified test
images, and "Use this model" / "Save as…", which the view only announces
(``use_requested``, ``save_requested``); the controller acts on them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import BAD, ConfusionMatrixView, ImageStrip, big_font

LOG_PAGE, RESULTS_PAGE = 0, 1
MAX_MISTAKES_SHOWN = 96  # more thumbnails only slow the tab down; the title gives the full count
WAITING_TEXT = "Test accuracy appears when training ends"


class ResultsView(QTabWidget):
    use_requested = Signal()
    save_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.test_label = QLabel(WAITING_TEXT)
        self.test_label.setFont(big_font(self, 26, bold=True))
        self.test_label.setWordWrap(True)  # keeps the tab usable on a 1366-px-wide classroom laptop
        self.confusion = ConfusionMatrixView()
        self.wrong_title = QLabel("Misclassified test images")
        self.wrong = ImageStrip(64)
        self.wrong.empty_text = "none yet"
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Switch the Classify tab to the model just trained")
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Write the model and its run card (JSON) where you choose")
        self.use_button.clicked.connect(self.use_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.addTab(self.log_view, "Log")
        self.addTab(self._results_page(), "Results")
        self.setMinimumHeight(150)
        self.reset()

    def _results_page(self) -> QWidget:
        page = QWidget()
        wrong_scroll = QScrollArea()
        wrong_scroll.setWidgetResizable(True)
        wrong_scroll.setWidget(self.wrong)
        left = QVBoxLayout()
        left.addWidget(self.test_label)
        left.addWidget(self.confusion, 1)
        title_row = QHBoxLayout()  # the buttons beside the title, so the matrix keeps its height
        title_row.addWidget(self.wrong_title)
        title_row.addStretch(1)
        title_row.addWidget(self.use_button)
        title_row.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(title_row)
        right.addWidget(wrong_scroll, 1)
        lay = QHBoxLayout(page)
        lay.addLayout(left, 2)
        lay.addLayout(right, 3)
        return page

    # -- intents -----------------------------------------------------------------------------
    def append_log(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    def reset(self) -> None:
        """A new run: no results yet, the log in front."""
        self.use_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.test_label.setText(WAITING_TEXT)
        self.confusion.set_matrix(np.zeros((0, 0)), [])
        self.wrong.set_items([], [])
        self.setCurrentIndex(LOG_PAGE)

    def show_results(self, outcome, has_model: bool) -> None:
        """A finished run (a TrainOutcome): test accuracy, confusion matrix and mistakes, in front."""
        r = outcome.result
        acc = outcome.test_accuracy
        if acc is not None:
            self.test_label.setText(f"Test accuracy {acc:.1%} <span style='font-size:13pt; font-weight:normal'>"
                                    f"on {r.test_report['n']} images</span>")
            self.confusion.set_matrix(r.test_report["confusion_matrix"], outcome.class_names)
        else:
            self.test_label.setText("No test images in this dataset")
        n_wrong = len(outcome.wrong_true)
        self.wrong_title.setText(f"Misclassified test images ({n_wrong})")
        shown = min(n_wrong, MAX_MISTAKES_SHOWN)
        pairs = zip(outcome.wrong_true[:shown], outcome.wrong_pred[:shown], strict=True)
        self.wrong.set_items(list(outcome.wrong_images[:shown]), [f"{t} → {p}" for t, p in pairs], [BAD] * shown)
        self.wrong.empty_text = "no mistakes on the test set"
        self.use_button.setEnabled(has_model)
        self.save_button.setEnabled(has_model)
        self.setCurrentIndex(RESULTS_PAGE)
