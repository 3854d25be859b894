"""The Classify tab's result panel: the top class, probability bars, what the network sees, the knobs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import ModelInputView, ProbabilityBars, TopClassLabel, big_font
from gui.widgets.heatmap import HeatmapControls

PANEL_WIDTH = 470


class ResultPanel(QFrame):
    """Paints one prediction; the threshold and smoothing sliders and the "save as class" buttons."""

    threshold_changed = Signal(float)  # 0..1
    smoothing_changed = Signal(int)  # frames
    save_as_class_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("resultPanel")
        self.setFixedWidth(PANEL_WIDTH)
        self.top_label = TopClassLabel()
        self.bars = ProbabilityBars()
        self.opinions_label = QLabel()  # the two opinions the bars combine, where the model has a hand-shape head
        self.opinions_label.setObjectName("opinions")
        self.opinions_label.setToolTip(
            "The bars combine two opinions: the network's, from the pixels it sees, and the hand-shape head's,\n"
            "from the 21 joints the hand finder placed (their geometric mean). A sign must look right to both,\n"
            "so a busy background or odd light moves the answer less. Each opinion is the latest frame's;\n"
            "with smoothing on, the bars average several frames.")
        self.opinions_label.hide()
        self.input_view = ModelInputView(160)
        self.heatmap_controls = HeatmapControls()
        self.input_caption = QLabel("What the network sees\n(64 × 64)")
        self.input_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rates_label = QLabel("– fps\n– ms per inference")
        self.rates_label.setObjectName("rates")
        self.rates_label.setFont(big_font(self, 18))
        self.rates_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, 100)
        self.threshold_slider.setValue(60)
        self.threshold_label = QLabel()
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(1, 15)
        self.smoothing_slider.setValue(1)
        self.smoothing_label = QLabel()
        self.class_buttons_box = QWidget()
        self.class_buttons_layout = QHBoxLayout(self.class_buttons_box)
        self.class_buttons_layout.setContentsMargins(0, 0, 0, 0)
        self.class_buttons: list[QPushButton] = []
        self._lay_out()
        self._update_knob_labels()
        self.threshold_slider.valueChanged.connect(self._update_knob_labels)
        self.smoothing_slider.valueChanged.connect(self._update_knob_labels)
        self.threshold_slider.valueChanged.connect(lambda v: self.threshold_changed.emit(v / 100.0))
        self.smoothing_slider.valueChanged.connect(self.smoothing_changed)

    def _lay_out(self) -> None:
        input_row = QHBoxLayout()
        input_row.addWidget(self.input_view)
        side = QVBoxLayout()
        side.addWidget(self.input_caption)
        side.addStretch(1)
        side.addWidget(self.rates_label)
        input_row.addLayout(side, 1)
        self.knobs = QWidget()  # threshold, smoothing, "save as": controls presenter mode hides
        knobs = QGridLayout(self.knobs)
        knobs.setContentsMargins(0, 0, 0, 0)
        knobs.addWidget(self.threshold_label, 0, 0)
        knobs.addWidget(self.threshold_slider, 0, 1)
        knobs.addWidget(self.smoothing_label, 1, 0)
        knobs.addWidget(self.smoothing_slider, 1, 1)
        knobs.addWidget(QLabel("Wrong? Save this frame as:"), 2, 0, 1, 2)
        knobs.addWidget(self.class_buttons_box, 3, 0, 1, 2)
        lay = QVBoxLayout(self)
        lay.addWidget(self.top_label)
        lay.addWidget(self.bars, 1)
        lay.addWidget(self.opinions_label)
        lay.addLayout(input_row)
        lay.addWidget(self.heatmap_controls)
        lay.addWidget(self.knobs)

    def _update_knob_labels(self, *_) -> None:
        self.threshold_label.setText(f"Unsure below {self.threshold_slider.value()} %")
        n = self.smoothing_slider.value()
        self.smoothing_label.setText("No smoothing" if n == 1 else f"Smooth over {n} frames")

    def set_text_scale(self, scale: float) -> None:
        """Wider with larger type (up to 1.6 times), so the top class and the bars' labels still fit."""
        self.setFixedWidth(round(PANEL_WIDTH * min(1.6, max(1.0, scale))))

    # -- knobs --------------------------------------------------------------------------------
    def threshold_percent(self) -> int:
        return self.threshold_slider.value()

    def set_threshold_percent(self, value: int) -> None:
        self.threshold_slider.setValue(value)

    def smoothing_frames(self) -> int:
        return self.smoothing_slider.value()

    def set_smoothing_frames(self, frames: int) -> None:
        self.smoothing_slider.setValue(frames)

    # -- what is shown ------------------------------------------------------------------------
    def show_classes(self, names) -> None:
        self.bars.set_classes(names)
        for b in self.class_buttons:
            b.deleteLater()
        self.class_buttons = []
        for name in names:
            b = QPushButton(name)
            b.setMinimumWidth(40)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setToolTip(f"Save the region the model sees into your own samples as class {name}")
            b.clicked.connect(lambda _=False, n=name: self.save_as_class_requested.emit(n))
            self.class_buttons_layout.addWidget(b)
            self.class_buttons.append(b)
        self.top_label.show_idle("waiting for a picture")

    def show_prediction(self, d) -> None:
        self.top_label.show_result(d.top_class, d.confidence, d.unsure)
        self.bars.set_probabilities(d.probabilities, d.top_index, d.unsure)

    def show_opinions(self, prediction) -> None:
        """Under the bars, what the network alone and the hand's shape alone say (hidden without a head)."""
        if prediction is None or prediction.shape_probabilities is None:
            self.opinions_label.hide()
            return
        names = prediction.class_names
        parts = [f"{who}: {names[int(p.argmax())]} ({100 * float(p.max()):.0f} %)" for who, p in
                 (("Network", prediction.image_probabilities), ("Hand shape", prediction.shape_probabilities))]
        self.opinions_label.setText("  ·  ".join(parts))
        self.opinions_label.show()

    def show_no_hand(self, text: str) -> None:
        """No hand to classify: say so, grey the bars out, show no model input."""
        self.show_opinions(None)
        self.top_label.show_no_hand(text)
        self.bars.show_no_hand()
        self.input_view.set_image(None)

    def show_model_input(self, x) -> None:
        self.input_view.set_image(x)
        if x is not None:
            self.input_caption.setText(f"What the network sees\n({x.shape[1]} × {x.shape[0]})")

    def show_rates(self, fps: float, ms: float) -> None:
        fps_text = f"{fps:.1f} fps" if fps > 0 else "still image"
        # Two lines: on one, "still image · 18 ms per inference" was cut off at the panel's edge.
        self.rates_label.setText(f"{fps_text}\n{ms:.0f} ms per inference")
