"""Finding the hand in a frame: MediaPipe's palm detector and hand-landmark models, no MediaPipe.

``models`` checks and opens the two TensorFlow Lite files in ``assets/models/hands``;
``palm`` runs the palm detector (SSD anchors, decoding as MediaPipe documents
it, OpenCV's non-maximum suppression); ``landmarks`` runs the landmark model on
a rotated crop; ``finder`` detects, tracks between frames and turns the hand
into the square the classifier sees; ``crop`` holds that square's geometry.
Nothing here imports Qt, TensorFlow or Keras.
"""
