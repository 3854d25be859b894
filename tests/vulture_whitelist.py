"""Names the dead-code check (``vulture`` in ``make lint``) cannot see being used.

Only true false positives belong here: methods that Qt, Keras or our own
listener dispatch call by name, and library settings assigned by attribute.
A symbol that nothing calls is dead code: delete it rather than list it here.
This file is read by vulture, never imported or run; its lines are bare attribute
uses on purpose (the form vulture reads), hence the B018 waiver below.
"""

# ruff: noqa: B018

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Virtual methods Qt calls on our QWidget/QMainWindow subclasses.
_.closeEvent
_.dragEnterEvent
_.dropEvent
_.hasHeightForWidth
_.minimumSizeHint
_.mouseDoubleClickEvent
_.mouseMoveEvent
_.mousePressEvent
_.mouseReleaseEvent
_.paintEvent
_.wheelEvent

# Listener methods reached through _emit("on_...") or Keras's callback dispatch.
_.on_end
_.on_finish
_.on_log
_.on_start
_.on_train_batch_end
_.on_epoch_begin  # core.training.distribute's fit callback
_.on_epoch_end

# Assigned for a library to read.
_.MAX_IMAGE_PIXELS  # PIL's decompression-bomb limit (core/images.py)
_.auto_shard_policy  # tf.data's option, read by MultiWorkerMirroredStrategy (core/training/distribute.py)
_._distribute_strategy  # read by Keras's fit (core/training/distribute.py, keras-team/keras#20585)

# Kept alive by reference: a non-modal message box Qt would otherwise close when it is collected.
_._startup_box
_.user_dir_box

# Observable state that tests read to check behaviour the app shows another way
# (frames counted by the grabber, the backend having loaded, the status-bar warning,
# the Space action, the training child's pid for the kill test).
_.frames_read
_.backend_loaded
_.user_dir_label
_.pause_action
# the Inside tab: feature-map requests sent to the worker, the grid's tile size
_.requests_sent
_.tile_shape
_.process
# TensorFlow Lite converter options, read by TFLiteConverter.convert()
_.optimizations
_.representative_dataset
_.supported_ops
_.supported_types
