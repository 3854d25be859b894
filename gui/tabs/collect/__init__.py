"""The Collect tab: the view (:mod:`.view`, with :mod:`.panels`) and its burst controller."""

from gui.tabs.collect.controller import BurstController
from gui.tabs.collect.view import CollectTab

__all__ = ["BurstController", "CollectTab"]
