"""Camera and video-file frame sources, read on their own thread (OpenCV, no Qt).

* :class:`CameraSource` (a webcam by index) and :class:`VideoFileSource` (any
  file OpenCV reads, paced at its own frame rate, optionally looping) share
  one small interface: ``open()``, ``read() -> (ok, frame)``, ``close()``.
  Frames are OpenCV BGR ``uint8 (H, W, 3)`` arrays.
* :class:`FrameGrabber` reads a source on a background thread and keeps only
  the newest frame (:meth:`FrameGrabber.latest`).  A slow consumer never builds
  up a backlog; it simply gets the frame that is current when it asks.
* :func:`list_cameras` probes which camera indices actually open.

Everything a person can cause (no camera, a camera in use, a file that is not
a video, a camera unplugged mid-stream) ends as a :class:`CameraError` with a
one-line message, delivered to the listener and kept in ``grabber.error``; it
never raises on the consumer's thread and never hangs it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import CameraError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".avi", ".mp4", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}


def _cv2():
    import cv2

    # OpenCV prints a WARN line for every index that does not open; we report
    # failures ourselves, in one line, so keep its log quiet.
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # pragma: no cover - very old OpenCV
        pass
    return cv2


def is_video_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class CameraInfo:
    index: int
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"Camera {self.index} ({self.width}×{self.height})"


@dataclass(frozen=True)
class Frame:
    """One frame: OpenCV BGR pixels, its sequence number and, for a video file, its index."""

    image: np.ndarray
    seq: int
    position: int = -1  # frame index in a video file, -1 for a camera


class FrameSource:
    """Interface of a frame source.  ``read`` returns ``(False, None)`` when no frame came."""

    name = "source"
    is_live = True  # a camera; False for a file, whose end is not an error

    def open(self) -> None:
        raise NotImplementedError

    def read(self) -> tuple[bool, np.ndarray | None]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    @property
    def fps(self) -> float:
        return 0.0


class CameraSource(FrameSource):
    """A webcam by index (0 is usually the built-in one)."""

    is_live = True

    def __init__(self, index: int = 0, *, width: int | None = None, height: int | None = None, open_timeout: float = 3.0):
        self.index = int(index)
        self.name = f"camera {self.index}"
        self.width, self.height = width, height
        self.open_timeout = open_timeout
        self._cap = None

    def open(self) -> None:
        cv2 = _cv2()
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise CameraError(
                f"camera {self.index} could not be opened (not connected, or in use by another program); "
                "plug one in and press Retry, or open a video or images"
            )
        if self.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        # Some drivers open but never deliver: insist on a first frame.
        deadline = time.monotonic() + self.open_timeout
        while True:
            ok, frame = cap.read()
            if ok and frame is not None:
                self._first = frame
                break
            if time.monotonic() > deadline:
                cap.release()
                raise CameraError(f"camera {self.index} opened but delivered no picture; check it and press Retry")
            time.sleep(0.05)
        self._cap = cap

    def read(self):
        first = getattr(self, "_first", None)
        if first is not None:
            self._first = None
            return True, first
        if self._cap is None:
            return False, None
        ok, frame = self._cap.read()
        return (True, frame) if ok and frame is not None else (False, None)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def fps(self) -> float:
        if self._cap is None:
            return 0.0
        return float(self._cap.get(_cv2().CAP_PROP_FPS) or 0.0)


class VideoFileSource(FrameSource):
    """A video file, delivered at its own frame rate (``realtime``), optionally looping."""

    is_live = False

    def __init__(self, path: str | os.PathLike, *, loop: bool = False, realtime: bool = True):
        self.path = Path(path)
        self.name = self.path.name
        self.loop = loop
        self.realtime = realtime
        self._cap = None
        self._fps = 0.0
        self.position = -1

    def open(self) -> None:
        if not self.path.exists():
            raise CameraError(f"{self.path}: no such video file")
        if self.path.is_dir():
            raise CameraError(f"{self.path}: is a folder, not a video file")
        cv2 = _cv2()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self.path}: not a video OpenCV can read (damaged, or an unsupported format)")
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise CameraError(f"{self.path}: the video has no readable frames")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if 1.0 <= fps <= 240.0 else 25.0
        self.position = -1
        self._cap = cap

    def read(self):
        if self._cap is None:
            return False, None
        ok, frame = self._cap.read()
        if (not ok or frame is None) and self.loop and self.position > 0:
            self._cap.set(_cv2().CAP_PROP_POS_FRAMES, 0)
            self.position = -1
            ok, frame = self._cap.read()
        if not ok or frame is None:
            return False, None
        self.position += 1
        return True, frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def fps(self) -> float:
        return self._fps


class GrabberListener:
    """All methods optional; they are called on the grabber's thread."""

    def on_frame(self, frame: Frame) -> None: ...
    def on_error(self, error: CameraError) -> None: ...
    def on_end(self) -> None: ...


class FrameGrabber:
    """Reads a :class:`FrameSource` on its own thread, keeping only the newest frame.

    ``state`` moves through ``"idle" -> "opening" -> "running"`` and ends in
    ``"ended"`` (a file ran out), ``"failed"`` (see ``error``) or ``"stopped"``.
    A live camera that delivers nothing for ``stall_seconds`` fails with a
    :class:`CameraError` ("unplugged?") instead of waiting forever.
    """

    def __init__(self, source: FrameSource, listener=None, *, mirror: bool = False, stall_seconds: float = 2.0):
        self.source = source
        self.listener = listener or GrabberListener()
        self.mirror = mirror
        self.stall_seconds = stall_seconds
        self.state = "idle"
        self.error: CameraError | None = None
        self.frames_read = 0
        self._latest: Frame | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_frame_time = time.monotonic()

    # -- consumer side (any thread) ----------------------------------------------------
    def start(self) -> FrameGrabber:
        if self._thread is not None:
            raise RuntimeError("a FrameGrabber can be started once")
        self.state = "opening"
        self._thread = threading.Thread(target=self._run, name=f"frames:{self.source.name}", daemon=True)
        self._thread.start()
        return self

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to end, wait for it and release the source.  True if it ended."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s: frame thread did not end within %.1f s", self.source.name, timeout)
                return False
        return True

    # -- the thread --------------------------------------------------------------------
    def _emit(self, name: str, *args) -> None:
        fn = getattr(self.listener, name, None)
        if fn is None:
            return
        try:
            fn(*args)
        except Exception:  # a listener bug must not kill the camera thread
            log.exception("frame listener %s failed", name)

    def _fail(self, error: CameraError) -> None:
        self.error = error
        self.state = "failed"
        log.warning("%s", error)
        self._emit("on_error", error)

    def _run(self) -> None:
        src = self.source
        try:
            try:
                src.open()
            except CameraError as exc:
                self._fail(exc)
                return
            except Exception as exc:  # OpenCV can raise cv2.error on odd devices
                self._fail(CameraError(f"{src.name} could not be opened ({type(exc).__name__}: {exc})"))
                return
            if self._stop.is_set():
                self.state = "stopped"
                return
            self.state = "running"
            self._last_frame_time = time.monotonic()
            period = 1.0 / src.fps if (not src.is_live and getattr(src, "realtime", False) and src.fps > 0) else 0.0
            next_due = time.monotonic()
            seq = 0
            while not self._stop.is_set():
                try:
                    ok, image = src.read()
                except Exception as exc:
                    self._fail(CameraError(f"{src.name} stopped delivering frames ({type(exc).__name__}: {exc})"))
                    return
                now = time.monotonic()
                if not ok:
                    if not src.is_live:
                        self.state = "ended"
                        self._emit("on_end")
                        return
                    if now - self._last_frame_time > self.stall_seconds:
                        self._fail(CameraError(
                            f"{src.name} stopped delivering frames (unplugged?); reconnect it and press Retry"
                        ))
                        return
                    self._stop.wait(0.02)
                    continue
                if self.mirror:
                    image = image[:, ::-1]
                image = np.ascontiguousarray(image)
                seq += 1
                self.frames_read = seq
                self._last_frame_time = now
                frame = Frame(image, seq, getattr(src, "position", -1))
                with self._lock:
                    self._latest = frame
                self._emit("on_frame", frame)
                if period:
                    next_due += period
                    delay = next_due - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                    else:
                        next_due = time.monotonic()  # behind: do not try to catch up
            self.state = "stopped"
        finally:
            try:
                src.close()
            except Exception:  # pragma: no cover - releasing must not raise
                log.exception("closing %s failed", src.name)


def _candidate_indices(max_index: int) -> list[int]:
    """Camera indices worth probing.  On Linux only those with a /dev/videoN node."""
    if sys.platform.startswith("linux"):
        dev = Path("/dev")
        found = sorted(
            int(p.name[5:]) for p in dev.glob("video*") if p.name[5:].isdigit() and int(p.name[5:]) < max_index
        )
        return found
    return list(range(max_index))


def list_cameras(max_index: int = 6) -> list[CameraInfo]:
    """Cameras that open and deliver a frame, in index order (may take a second)."""
    cv2 = _cv2()
    found: list[CameraInfo] = []
    for index in _candidate_indices(max_index):
        cap = cv2.VideoCapture(index)
        try:
            if not cap.isOpened():
                continue
            ok, frame = cap.read()
            if ok and frame is not None:
                found.append(CameraInfo(index, int(frame.shape[1]), int(frame.shape[0])))
        except Exception:  # a broken driver is just not a camera we can use
            log.debug("camera %d failed to probe", index, exc_info=True)
        finally:
            cap.release()
    return found
