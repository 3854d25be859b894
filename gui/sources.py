"""The frame service: one camera or video source for the whole window.

The source is read by a ``core.camera.FrameGrabber`` on its own thread, which
keeps only the newest frame.  A short UI timer looks at that slot and emits
``frame_arrived`` when a new frame is there, so the UI thread never waits for a
camera and never sees a backlog.  Failures (no camera, unplugged, bad file)
arrive as ``source_failed(CameraError)``; a file that ends emits ``source_ended``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from core.camera import CameraSource, FrameGrabber, VideoFileSource, list_cameras

log = logging.getLogger(__name__)


class FrameService(QObject):
    frame_arrived = Signal(object)  # core.camera.Frame (BGR), on the UI thread
    source_failed = Signal(object)  # CameraError
    source_ended = Signal()
    source_stopped = Signal()
    cameras_listed = Signal(list)  # [CameraInfo]
    _probed = Signal(list)  # from the probing thread; queued to the UI thread

    def __init__(self, parent=None, *, poll_ms: int = 10, camera_factory=None):
        super().__init__(parent)
        self.grabber: FrameGrabber | None = None
        self.kind = "none"  # "camera", "video" or "none"
        self.camera_index = 0
        self.video_path: Path | None = None
        self.loop_video = False
        self.mirror_camera = True
        self.camera_factory = camera_factory or (lambda index: CameraSource(index))
        self.cameras: list = []
        self._last_seq = 0
        self._reported = False
        self._probe: threading.Thread | None = None
        self._probed.connect(self._probe_done)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    # -- sources --------------------------------------------------------------------
    def start_camera(self, index: int) -> None:
        self.stop()
        self.kind, self.camera_index = "camera", int(index)
        self._start(FrameGrabber(self.camera_factory(int(index)), mirror=self.mirror_camera))

    def start_video(self, path: str | Path, *, loop: bool | None = None) -> None:
        self.stop()
        self.kind, self.video_path = "video", Path(path)
        if loop is not None:
            self.loop_video = loop
        self._start(FrameGrabber(VideoFileSource(path, loop=self.loop_video)))

    def retry(self) -> None:
        if self.kind == "camera":
            self.start_camera(self.camera_index)
        elif self.kind == "video" and self.video_path is not None:
            self.start_video(self.video_path)

    def _start(self, grabber: FrameGrabber) -> None:
        self.grabber = grabber
        self._last_seq = 0
        self._reported = False
        grabber.start()
        self._timer.start()

    def stop(self) -> None:
        """Stop the current source and wait for its thread (a frame read at most)."""
        self._timer.stop()
        g, self.grabber = self.grabber, None
        if g is not None:
            g.stop()
            self.source_stopped.emit()

    @property
    def running(self) -> bool:
        return self.grabber is not None and self.grabber.state in ("opening", "running")

    def describe(self) -> str:
        if self.kind == "camera":
            return f"camera {self.camera_index}"
        if self.kind == "video" and self.video_path:
            return self.video_path.name
        return "no source"

    # -- polling the newest frame -----------------------------------------------------
    def _poll(self) -> None:
        g = self.grabber
        if g is None:
            self._timer.stop()
            return
        frame = g.latest()
        if frame is not None and frame.seq != self._last_seq:
            self._last_seq = frame.seq
            self.frame_arrived.emit(frame)
        if g.state == "failed" and not self._reported:
            self._reported = True
            self._timer.stop()
            self.source_failed.emit(g.error)
        elif g.state == "ended" and not self._reported:
            self._reported = True
            self._timer.stop()
            self.source_ended.emit()

    # -- listing cameras (on a short-lived thread: probing can take a second) ---------
    def list_cameras_async(self) -> None:
        if self._probe is not None and self._probe.is_alive():
            return

        def probe():
            try:
                cameras = list_cameras()
            except Exception:  # probing must never take the app down
                log.exception("listing cameras failed")
                cameras = []
            self._probed.emit(cameras)

        self._probe = threading.Thread(target=probe, name="camera-probe", daemon=True)
        self._probe.start()

    def _probe_done(self, cameras: list) -> None:
        if self._probe is not None:
            self._probe.join()
            self._probe = None
        self.cameras = list(cameras)
        self.cameras_listed.emit(self.cameras)

    def shutdown(self) -> None:
        self.stop()
        if self._probe is not None:
            self._probe.join(5.0)
            self._probe = None
