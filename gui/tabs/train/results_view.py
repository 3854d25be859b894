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

from gui.widgets import BAD, ConfusionMatrixView, ImageStrip, big_font, confusion

LOG_PAGE, RESULTS_PAGE = 0, 1
MAX_MISTAKES_SHOWN = 96  # more thumbnails only slow the tab down; the title gives the full count
WAITING_TEXT = "Test accuracy appears when training ends"
MISTAKES_WAITING = "none yet"
MISTAKES_TITLE = "Misclassified test images"


class ResultsView(QTabWidget):
    use_requested = Signal()
    save_requested = Signal()
    # model file, model-size image, [predicted, true] class indices, title -> InferenceWorker.explain_image
    explain_requested = Signal(str, object, list, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.test_label = QLabel(WAITING_TEXT)
        self.test_label.setFont(big_font(self, 26, bold=True))
        self.test_label.setWordWrap(True)  # keeps the tab usable on a 1366-px-wide classroom laptop
        self.confusion = ConfusionMatrixView()
        self.wrong_title = QLabel(MISTAKES_TITLE)
        self.wrong = ImageStrip(64)
        self.wrong.empty_text = MISTAKES_WAITING
        self.wrong.setToolTip("Click an image: where the network looked, for its guess and for the true class")
        self.wrong.clicked.connect(self._explain)
        self._outcome = None
        self.heatmap_dialog = None  # gui.widgets.heatmap.HeatmapPair of the last image clicked
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
        self.confusion.empty_text = confusion.WAITING
        self.wrong.empty_text = MISTAKES_WAITING
        self.wrong_title.setText(MISTAKES_TITLE)
        self.confusion.set_matrix(np.zeros((0, 0)), [])
        self.wrong.set_items([], [])
        self.setCurrentIndex(LOG_PAGE)

    def _explain(self, i: int) -> None:
        """A misclassified image was clicked: ask for its maps (predicted and true class) with the run's model."""
        o = self._outcome
        if o is None or not o.result.model_path or i >= len(o.wrong_true):
            return
        names = list(o.class_names)
        pred, true = o.wrong_pred[i], o.wrong_true[i]
        self.explain_requested.emit(str(o.result.model_path), o.wrong_images[i], [names.index(pred), names.index(true)],
                                    f"Test image {i + 1}: true {true}, predicted {pred}")

    def show_explanation(self, maps) -> None:
        """The maps of a clicked image (``gui.workers.inference.GalleryMaps``), side by side in a small window."""
        from PySide6.QtWidgets import QMessageBox

        from gui.widgets.heatmap import HeatmapPair

        if maps.error is not None:
            QMessageBox.warning(self, "Heatmap", str(maps.error) or type(maps.error).__name__)
            return
        names = self._outcome.class_names if self._outcome is not None else [str(k) for k in range(max(maps.classes) + 1)]
        captions = [f"{what} {names[k]}" for what, k in zip(("predicted", "true"), maps.classes, strict=True)]
        if self.heatmap_dialog is not None:
            self.heatmap_dialog.close()
        self.heatmap_dialog = HeatmapPair(maps.image, list(zip(maps.maps, captions, strict=True)), maps.title,
                                          maps.layer, self)
        self.heatmap_dialog.show()

    def show_results(self, outcome, has_model: bool) -> None:
        """A finished run (a TrainOutcome): test accuracy, confusion matrix and mistakes, in front."""
        self._outcome = outcome if has_model else None
        r = outcome.result
        acc = outcome.test_accuracy
        if acc is not None:
            self.test_label.setText(f"Test accuracy {acc:.1%} <span style='font-size:13pt; font-weight:normal'>"
                                    f"on {r.test_report['n']} images</span>")
            self.confusion.set_matrix(r.test_report["confusion_matrix"], outcome.class_names)
            self.wrong.empty_text = "no mistakes on the test set"
        else:
            self.confusion.empty_text = "no test set, no confusion matrix"
            self.confusion.set_matrix(np.zeros((0, 0)), [])
            self.wrong.empty_text = "no test set"
            self.test_label.setText("No test images in this run <span style='font-size:13pt; font-weight:normal'>"
                                    "(none kept back to test): try the model live with <i>Use this model</i></span>")
        n_wrong = len(outcome.wrong_true)
        self.wrong_title.setText(MISTAKES_TITLE + (f" ({n_wrong})" if acc is not None else ""))
        shown = min(n_wrong, MAX_MISTAKES_SHOWN)
        pairs = zip(outcome.wrong_true[:shown], outcome.wrong_pred[:shown], strict=True)
        self.wrong.set_items(list(outcome.wrong_images[:shown]), [f"{t} → {p}" for t, p in pairs], [BAD] * shown)
        self.use_button.setEnabled(has_model)
        self.save_button.setEnabled(has_model)
        self.setCurrentIndex(RESULTS_PAGE)
