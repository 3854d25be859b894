"""Small painted widgets that only paint what they are given.

``frame_view`` (the live frame with its region box, the model input),
``prediction`` (probability bars, the big top-class label), ``banner``,
``image_strip``, ``confusion`` (the confusion matrix), ``toggle`` (the "Find hand"
button) and ``painting`` (colours, numpy -> QImage, fonts).  The names are
re-exported here for short imports.
"""

from gui.widgets.banner import MessageBanner
from gui.widgets.confusion import ConfusionMatrixView
from gui.widgets.frame_view import FrameView, ModelInputView
from gui.widgets.image_strip import ImageStrip
from gui.widgets.painting import ACCENT, BAD, GOOD, MUTED, big_font, to_qimage
from gui.widgets.prediction import ProbabilityBars, TopClassLabel
from gui.widgets.toggle import find_hand_button, show_checked

__all__ = [
    "ACCENT", "BAD", "GOOD", "MUTED", "ConfusionMatrixView", "FrameView", "ImageStrip", "MessageBanner",
    "ModelInputView", "ProbabilityBars", "TopClassLabel", "big_font", "find_hand_button", "show_checked", "to_qimage",
]
