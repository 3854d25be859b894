"""Exports that run without this app: ONNX, TFLite (float and int8) and SavedModel folders.

``exporter.export_model`` writes one folder per export: the model, ``labels.json``
(the input contract), a README, a standalone ``webcam.py`` and ``parity.json``
(the export run by its own runtime against the Keras model).  See docs/export.md.
"""
