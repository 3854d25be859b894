"""Compute devices: list them, and run code on the chosen one.

Device strings are ``"cpu"`` or ``"gpu:N"``.  Works for the TensorFlow and the
JAX Keras backends.  Settings TensorFlow reads only at start-up (its log
level, Keras's folder) are set by :func:`quiet_tensorflow`, which entry points
call before anything imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import os

from core.errors import HandSignError

log = logging.getLogger(__name__)


def quiet_tensorflow() -> None:
    """Hide TensorFlow's C++ start-up chatter unless the user asked for it.

    Also keep Keras's own folder (it writes ``keras.json`` on import, by default in
    ``~/.keras``) inside the user data folder, so the app writes nowhere else.
    """
    from core.paths import user_dir

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_HOME", str(user_dir() / "keras"))


def backend() -> str:
    import keras

    return keras.backend.backend()


def list_devices() -> list[str]:
    """``["cpu", "gpu:0", ...]`` as the active backend sees them."""
    devices = ["cpu"]
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        devices += [f"gpu:{i}" for i, _ in enumerate(tf.config.list_physical_devices("GPU"))]
    elif name == "jax":
        import jax

        try:
            devices += [f"gpu:{i}" for i, _ in enumerate(jax.devices("gpu"))]
        except RuntimeError:
            pass
    return devices


def parse_device(device: str) -> tuple[str, int]:
    text = (device or "cpu").strip().lower()
    if text == "cpu":
        return "cpu", 0
    if text == "gpu":
        return "gpu", 0
    if text.startswith("gpu:") and text[4:].isdigit():
        return "gpu", int(text[4:])
    raise HandSignError(f"unknown device {device!r}: use 'cpu' or 'gpu:N'")


@contextlib.contextmanager
def device_scope(device: str):
    """Run the body on ``device``; a GPU that does not exist is a clear error."""
    kind, index = parse_device(device)
    if kind == "gpu" and f"gpu:{index}" not in list_devices():
        available = ", ".join(list_devices())
        raise HandSignError(f"device gpu:{index} is not available here (available: {available})")
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.device(f"/{kind.upper()}:{index}"):
            yield
    elif name == "jax":
        import jax

        dev = jax.devices("cpu" if kind == "cpu" else "gpu")[index]
        with jax.default_device(dev):
            yield
    else:
        yield


@contextlib.contextmanager
def quiet_stderr():
    """Silence C-level stderr (file descriptor 2) for the block, unless ``HANDSIGN_VERBOSE`` is set.

    For native libraries that print notices Python cannot filter: TensorFlow's
    start-up lines, TensorFlow Lite's "Created ... XNNPACK delegate".  Keep the
    block short: other threads' stderr is silenced too while it runs.
    """
    if os.environ.get("HANDSIGN_VERBOSE"):
        yield
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_backend_quietly() -> None:
    """Import Keras and its backend with C-level stderr silenced.

    TensorFlow's native start-up messages (oneDNN notices, absl pre-init lines)
    ignore ``TF_CPP_MIN_LOG_LEVEL`` and would bury the CLI's one-line errors.
    Set ``HANDSIGN_VERBOSE=1`` to see them.
    """
    quiet_tensorflow()
    with quiet_stderr():
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros((1,)))  # the first op prints too
