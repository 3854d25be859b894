"""The Inside tab, "What the network sees": the view (:mod:`.view`) and its controller (:mod:`.controller`)."""

from gui.tabs.inside.controller import InsideController
from gui.tabs.inside.view import InsideTab

__all__ = ["InsideController", "InsideTab"]
