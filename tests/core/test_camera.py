"""core.camera: real cv2.VideoCapture on a video file, a missing camera, a camera that dies."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.camera import (
    CameraSource,
    FrameGrabber,
    FrameSource,
    VideoFileSource,
    is_video_name,
    list_cameras,
)
from core.errors import CameraError
from tools.videos import write_test_video


def _frames(n=12, h=48, w=64):
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, :, 0] = 20 * i % 256  # red ramps up frame by frame
        f[: h // 2, :, 1] = 200
        out.append(f)
    return out


class Recorder:
    def __init__(self):
        self.frames, self.errors, self.ended = [], [], threading.Event()

    def on_frame(self, frame):
        self.frames.append(frame.seq)

    def on_error(self, error):
        self.errors.append(error)
        self.ended.set()

    def on_end(self):
        self.ended.set()


def test_video_file_plays_through_in_order(tmp_path):
    path = write_test_video(tmp_path / "clip.avi", _frames(12), fps=60)
    rec = Recorder()
    grabber = FrameGrabber(VideoFileSource(path), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert grabber.state == "ended"
    assert rec.frames == list(range(1, 13))
    last = grabber.latest()
    assert last.seq == 12 and last.image.shape == (48, 64, 3) and last.image.dtype == np.uint8
    # BGR from OpenCV: the red ramp is in channel 2 (MJPG is lossy, so roughly).
    assert abs(int(last.image[40, 10, 2]) - (20 * 11 % 256)) < 20


def test_video_is_paced_at_its_frame_rate(tmp_path):
    path = write_test_video(tmp_path / "clip.avi", _frames(10), fps=20)
    rec = Recorder()
    t0 = time.monotonic()
    grabber = FrameGrabber(VideoFileSource(path), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert time.monotonic() - t0 >= 0.4  # 10 frames at 20 fps is 0.5 s


def test_looping_video_keeps_going_until_stopped(tmp_path):
    path = write_test_video(tmp_path / "clip.avi", _frames(4), fps=120)
    grabber = FrameGrabber(VideoFileSource(path, loop=True)).start()
    deadline = time.monotonic() + 10
    while grabber.frames_read < 12 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert grabber.frames_read >= 12 and grabber.running, f"{grabber.frames_read} frames read in 10 s"
    assert grabber.stop()
    assert grabber.state == "stopped" and not grabber.running


def test_missing_camera_is_a_clear_error_not_a_hang():
    rec = Recorder()
    grabber = FrameGrabber(CameraSource(97), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert grabber.state == "failed"
    assert isinstance(grabber.error, CameraError)
    assert "camera 97 could not be opened" in str(grabber.error)
    assert "\n" not in str(grabber.error)


@pytest.mark.parametrize("name", ["missing.avi", "folder", "notvideo.avi"])
def test_bad_video_files(tmp_path, name):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notvideo.avi").write_bytes(b"this is not a video")
    rec = Recorder()
    grabber = FrameGrabber(VideoFileSource(tmp_path / name), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert grabber.state == "failed" and len(rec.errors) == 1
    assert name in str(rec.errors[0])


class DyingCamera(FrameSource):
    """A live source that delivers a few frames, then nothing (an unplugged webcam)."""

    name = "fake camera"
    is_live = True

    def __init__(self, good=5):
        self.good, self.n, self.closed = good, 0, False

    def open(self):
        pass

    def read(self):
        self.n += 1
        if self.n <= self.good:
            time.sleep(0.005)
            return True, np.full((8, 8, 3), self.n, np.uint8)
        return False, None

    def close(self):
        self.closed = True


def test_camera_unplugged_mid_stream_fails_cleanly():
    src = DyingCamera(5)
    rec = Recorder()
    grabber = FrameGrabber(src, rec, stall_seconds=0.3).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert grabber.state == "failed" and "stopped delivering frames" in str(grabber.error)
    assert rec.frames == [1, 2, 3, 4, 5]
    assert grabber.latest().seq == 5  # the last good frame is still there to show
    assert src.closed


class RaisingCamera(DyingCamera):
    def read(self):
        raise OSError("device vanished")


def test_a_source_that_raises_becomes_a_camera_error():
    rec = Recorder()
    grabber = FrameGrabber(RaisingCamera(), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert "device vanished" in str(grabber.error)


def test_latest_frame_only_no_backlog(tmp_path):
    """A slow consumer sees the newest frame, never a queue of old ones."""
    path = write_test_video(tmp_path / "clip.avi", _frames(30), fps=240)
    grabber = FrameGrabber(VideoFileSource(path, realtime=False)).start()
    seen = []
    deadline = time.monotonic() + 30
    while grabber.running:
        assert time.monotonic() < deadline, "a 30-frame video was still playing after 30 s"
        f = grabber.latest()
        if f is not None:
            seen.append(f.seq)
        time.sleep(0.02)
    grabber.stop()
    assert grabber.latest().seq == 30
    assert len(set(seen)) < 30  # skipped frames rather than queueing them


def test_mirror_flips_horizontally(tmp_path):
    frame = np.zeros((16, 32, 3), np.uint8)
    frame[:, :16] = 255
    path = write_test_video(tmp_path / "half.avi", [frame] * 3, fps=60)
    rec = Recorder()
    grabber = FrameGrabber(VideoFileSource(path), rec, mirror=True).start()
    assert rec.ended.wait(10)
    grabber.stop()
    img = grabber.latest().image
    assert img[8, 28].mean() > 200 and img[8, 3].mean() < 60


def test_listener_exceptions_do_not_kill_the_thread(tmp_path):
    path = write_test_video(tmp_path / "clip.avi", _frames(5), fps=120)

    class Bad(Recorder):
        def on_frame(self, frame):
            raise RuntimeError("bug in a listener")

    rec = Bad()
    grabber = FrameGrabber(VideoFileSource(path), rec).start()
    assert rec.ended.wait(10)
    grabber.stop()
    assert grabber.state == "ended" and grabber.latest().seq == 5


def test_list_cameras_returns_only_cameras_that_open():
    cams = list_cameras(4)  # none on a CI machine; must not hang or raise
    for c in cams:
        assert c.width > 0 and c.height > 0 and c.label.startswith("Camera")


def test_video_names():
    assert is_video_name("a.AVI") and is_video_name("b.mp4") and not is_video_name("c.jpg")


def test_stop_before_start_and_twice_is_harmless(tmp_path):
    path = write_test_video(tmp_path / "clip.avi", _frames(3), fps=60)
    grabber = FrameGrabber(VideoFileSource(path, loop=True))
    assert grabber.stop()
    grabber = FrameGrabber(VideoFileSource(path, loop=True)).start()
    assert grabber.stop() and grabber.stop()
