"""The "Residual vs plain" tab: the notebook's ResNet-50 and its plain twin trained side by side."""

from gui.tabs.residual.tab import ResidualTab

__all__ = ["ResidualTab"]
