"""The Model tab: the summary table (:mod:`.view`) and the architecture picture (:mod:`.architecture`)."""

from gui.tabs.model.view import ModelTab

__all__ = ["ModelTab"]
