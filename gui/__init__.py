"""Hand Sign Studio's PySide6 interface.  Reaches Keras/TensorFlow only through ``core``."""
