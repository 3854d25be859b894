"""Hand Sign Studio core: model, data, training, inference, camera sources and CLI.

No Qt here (a test enforces it), so the CLI, the tests and the GUI all drive
the same code.  Heavy imports (Keras/TensorFlow) happen lazily inside the
functions that need them, so importing ``core`` is cheap.
"""

__version__ = "0.1.0"
