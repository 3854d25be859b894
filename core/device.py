"""Compute devices: list them, and run code on the chosen one.

Device strings are ``"cpu"`` or ``"gpu:N"``.  Works for the TensorFlow and the
JAX Keras backends.  Settings TensorFlow reads only at start-up (its log
level, Keras's folder) are set by :func:`quiet_tensorflow`, which entry points
call before anything imports TensorFlow.

:class:`DeviceProbe` lists the devices in a short spawned child process, for
the app, which must not import TensorFlow itself just to fill a device list.
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


def _report_devices(queue) -> None:
    """The probe child's body: import the backend quietly, put its device list on ``queue``."""
    try:
        import_backend_quietly()
        queue.put(list_devices())
    except BaseException as exc:  # the parent falls back to ["cpu"]
        queue.put(f"{type(exc).__name__}: {exc}")


class DeviceProbe:
    """``list_devices()`` answered by a spawned child process, so the caller never imports TensorFlow.

    :meth:`run` blocks (about TensorFlow's import time) and always answers: ``["cpu"]`` when the
    child fails, times out or is stopped.  :meth:`stop` (any thread) ends a running child at once.
    """

    def __init__(self, timeout_s: float = 120.0):
        self.timeout_s = timeout_s
        self._proc = None
        self._stopped = False

    def run(self) -> list[str]:
        import multiprocessing as mp
        import queue as queue_module

        if self._stopped:
            return ["cpu"]
        ctx = mp.get_context("spawn")  # never fork a process that has Qt threads
        answers = ctx.Queue()
        self._proc = proc = ctx.Process(target=_report_devices, args=(answers,), name="device-probe", daemon=True)
        proc.start()
        try:
            answer = self._wait(proc, answers, queue_module.Empty)
        finally:
            if proc.is_alive():
                proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            answers.close()
            answers.join_thread()
        if isinstance(answer, list) and answer and answer[0] == "cpu":
            return [str(d) for d in answer]
        log.warning("device probe failed (%s); offering the CPU only", answer)
        return ["cpu"]

    def _wait(self, proc, answers, empty):
        """The child's answer; "no answer" once it has died without one, was stopped, or ran out of time."""
        import time

        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline and not self._stopped:
            alive = proc.is_alive()
            try:
                return answers.get(timeout=0.2 if alive else 1.0)  # a dead child's last put is still in the pipe
            except (empty, OSError, EOFError, ValueError):
                if not alive:
                    break
        return "no answer"

    def stop(self) -> None:
        self._stopped = True
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()


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
