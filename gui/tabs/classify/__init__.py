"""The Classify tab: the view (:mod:`.view`, with :mod:`.controls` and :mod:`.results`) and its controller."""

from gui.tabs.classify.controller import ClassifyController
from gui.tabs.classify.view import ClassifyTab

__all__ = ["ClassifyController", "ClassifyTab"]
