"""User-facing errors.

Every failure a person can cause (a bad file, a wrong flag, a missing camera)
raises a subclass of :class:`HandSignError` whose message is one line that says
what was wrong and what to do.  The CLI prints it and exits non-zero; the GUI
shows it in a message box and keeps running.
"""


class HandSignError(Exception):
    """Base class: ``str(err)`` is a complete one-line explanation for a person."""


class DataError(HandSignError):
    """A dataset or image could not be read or does not have the expected layout."""


class ModelFileError(HandSignError):
    """A model file is missing, damaged, unsafe or not a Hand Sign Studio model."""


class ModelConfigError(HandSignError, ValueError):
    """The model cannot be built with the requested shape or class count."""


class CameraError(HandSignError):
    """A camera or video source could not be opened or stopped delivering frames."""
