"""Seeing inside the network: class-activation heatmaps, feature maps, the
residual-vs-plain experiment's gradient norms, and the feature projection.

No Qt here (rule 1); the GUI and the CLI drive the same functions.
"""
