"""Find one hand per frame: detect a palm, then track it with the landmark model.

:class:`HandFinder` is what the app, ``handsign predict`` / ``evaluate`` and
the training crops share, so all three see a hand framed the same way.  On a
video it runs the palm detector only while it has no hand, and otherwise
places the landmark crop from the previous frame's landmarks (MediaPipe's own
tracking scheme); on still images (:meth:`HandFinder.find_in_image`) it
detects every time and refines once.  No hand is an answer: ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.hands.crop import SquareTracker, hand_square, square_region
from core.hands.landmarks import PRESENCE, LandmarkModel, RotatedRect, rect_from_landmarks, rect_from_palm
from core.hands.models import LANDMARK_LITE_MODEL, LANDMARK_MODEL, PALM_MODEL, open_interpreter
from core.hands.palm import INPUT as PALM_INPUT
from core.hands.palm import PalmDetector
from core.images import Region, to_rgb_uint8
from core.inference.region import Norm

WHOLE_IMAGE_SCALES = (1.0, 1.3)
# A hand the tracker follows needs MediaPipe's 0.5; a new one 0.8: on 120 photos without hands 0.5 took 5
# (statues, crowds, leaves), 0.8 one, and it cost one of 131 small hands in room frames (docs/hands.md).
NEW_HAND_PRESENCE = 0.8
PALMS_TRIED = 2  # palm candidates per search window checked by the landmark model
# While tracking a video, the landmark model runs on every third frame, and the square and the next landmark
# crop move on at the hand's velocity between (crop.SquareTracker): per frame 1.05x the int8 classification
# alone at p50, 1.6x on the mean, against 2.4x / 1.8x for every other frame (bench/results/hands.md); a still
# hand reads as before, a moving one 1-2 points fewer frames right (bench/results/tracking.md).
TRACK_EVERY = 3
ZOOMED_TILE = 0.6  # the smallest search windows of a video, as a share of the frame's short side
# A still image with no hand in those windows, or in the whole photo, is searched again in windows of 0.4 and
# 0.3 of its short side, overlapping by half: a hand 25-50 pixels across in a 640 x 480 frame (a person a few
# metres from the camera).  Found there, a new hand needs a landmark presence of 0.97, not 0.8: those small
# windows show the detector faces and patterns close up.  At 0.97 it took the same 7 of 200 hand-free frames
# for hands as without the small windows (0.95: 9, 0.9: 12) and missed 2 of 131 hands 40-60 px across, where
# the usual windows miss 32 (docs/hands.md, "small windows, still images only").
FINE_TILES = (0.4, 0.3)
# A video searches the 0.4 windows too (24 in a 640 x 480 frame): after one round of the usual windows without
# a hand, every fourth frame takes one of them instead of a usual window, so a far hand is found within 120
# frames (4 s at 30 fps), a nearer one as soon as before, and the whole frame is still searched every other
# frame; the 0.3 windows (48 more) would make that 11 s.  A frame still costs one palm detection.
VIDEO_FINE_TILES = (0.4,)
FINE_MIN_SIDE = 96  # no smaller window: a photo under 240 px a side (a crop, the datasets' photos) is not tiled
FINE_PRESENCE = 0.97


def search_windows(width: int, height: int) -> list[tuple[int, int, int]]:
    """Where to look for a palm: the whole frame, then squares across it, then smaller squares.

    The detector sees a window shrunk to 192 pixels, so a hand that is small in
    a 640 x 480 frame (a person at a wall, a student at the back) is found in a
    square of the short side, or of 0.6 of it, not in the whole frame.  A
    window under the detector's own 192 pixels would only be enlarged, so small
    photos are searched whole.  Returns ``(x, y, side)``; the first entry, the
    whole frame, has ``side`` 0.
    """
    windows = [(0, 0, 0)]
    for share in (1.0, ZOOMED_TILE):
        side = int(min(width, height) * share)
        if side < PALM_INPUT:
            break
        xs = sorted({0, (width - side) // 2, width - side})
        ys = sorted({0, (height - side) // 2, height - side})
        if share == 1.0 and width == height:
            continue  # the whole frame already
        windows += [(x, y, side) for y in ys for x in xs]
    return windows


def fine_windows(width: int, height: int, tiles: tuple[float, ...] = FINE_TILES) -> list[tuple[int, int, int]]:
    """Small search windows, ``(x, y, side)`` for each share of the short side in ``tiles``, overlapping by half.

    The detector sees each enlarged to its 192 pixels, so a hand too small to be
    found in :func:`search_windows` is seen at two or three times the size.
    """
    windows = []
    for share in tiles:
        side = int(min(width, height) * share)
        if side < FINE_MIN_SIDE:
            break
        step = side // 2
        xs = sorted({*range(0, width - side, step), width - side})
        ys = sorted({*range(0, height - side, step), height - side})
        windows += [(x, y, side) for y in ys for x in xs]
    return windows


@dataclass(frozen=True)
class Hand:
    landmarks: np.ndarray  # (21, 3) frame pixels
    presence: float  # the landmark model's hand-presence probability
    square: Norm  # (cx, cy, side) normalised, smoothed on video
    region: Region  # the pixel square the classifier sees
    tracked: bool  # True when placed from the previous frame, without the palm detector

    def as_dict(self) -> dict:
        r = self.region
        return {"presence": round(self.presence, 4), "region": [r.x, r.y, r.w, r.h]}


def _area(palm) -> float:
    return (palm.box[2] - palm.box[0]) * (palm.box[3] - palm.box[1])


def _frame(image: np.ndarray, bgr: bool) -> tuple[np.ndarray, bool]:
    """A uint8 3-channel frame as it is (the models reorder their small inputs), anything else as RGB."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image, bgr
    return to_rgb_uint8(image, bgr=bgr), False


class HandFinder:
    """One hand per RGB (or BGR) uint8 frame, or None.  Not thread-safe: one per thread.

    Of several hands, the biggest palm in the first window that has one wins;
    on video the tracked hand stays chosen while it is in view.
    """

    def __init__(self, *, landmark_model: str = LANDMARK_MODEL, video_landmark_model: str = LANDMARK_LITE_MODEL,
                 threads: int | None = None,
                 smoothing: float = 0.5, velocity_gain: float = 0.3, presence: float = PRESENCE,
                 new_hand_presence: float = NEW_HAND_PRESENCE, track_every: int = TRACK_EVERY,
                 roi_follows: bool = True, fine_presence: float | None = FINE_PRESENCE,
                 video_fine_tiles: tuple[float, ...] = VIDEO_FINE_TILES):
        self._palms = PalmDetector(open_interpreter(PALM_MODEL, threads))
        self._landmarks = LandmarkModel(open_interpreter(landmark_model, threads))
        # On video the lite landmark model: found every hand the full one found on 1,152 photos, at half
        # the cost per frame (bench/results/hands.md); still photos and training crops use the full one.
        self._video_landmarks = (self._landmarks if video_landmark_model == landmark_model
                                 else LandmarkModel(open_interpreter(video_landmark_model, threads)))
        self._video = False  # which of the two the current call uses
        self._squares = SquareTracker(smoothing, velocity_gain)
        self.presence = float(presence)  # to keep following a hand
        self.new_hand_presence = max(self.presence, float(new_hand_presence))  # to take a new one
        # to take a new one in a still image's small windows; None: no small windows
        self.fine_presence = None if fine_presence is None else max(self.new_hand_presence, float(fine_presence))
        self.video_fine_tiles = tuple(video_fine_tiles) if self.fine_presence is not None else ()
        self._next: RotatedRect | None = None
        self._searches = 0  # frames searched since the hand was lost: picks this frame's extra window
        self.track_every = max(1, int(track_every))
        self.roi_follows = roi_follows
        self._last: Hand | None = None  # the last hand the landmark model placed, and frames since
        self._reused = 0
        self._frame_size = (0, 0)

    def reset(self) -> None:
        """Forget the tracked hand (a new source, a jump in the video)."""
        self._next = None
        self._last = None
        self._squares.reset()

    def _video_windows(self, frame) -> tuple[list[tuple[int, int, int]], bool]:
        """While searching a video, one window a frame, and whether it is a small one (see :meth:`_detect_in`).

        The whole frame every other frame; between, the usual windows in turn and,
        once they have all been searched without a hand, every other time one of
        the small ones (``video_fine_tiles``) instead.  A frame without a hand then
        costs one palm detection, less than classifying it would.
        """
        h, w = frame.shape[:2]
        windows = search_windows(w, h)[1:]
        self._searches += 1
        turn = self._searches // 2
        if self._searches % 2 or not windows:
            return [(0, 0, 0)], False
        if turn <= len(windows) or not self.video_fine_tiles:
            return [windows[(turn - 1) % len(windows)]], False
        small = fine_windows(w, h, self.video_fine_tiles)
        late = turn - len(windows) - 1  # turns since the first round of the usual windows
        if small and late % 2 == 0:
            return [small[(late // 2) % len(small)]], True
        return [windows[(late // 2 if small else late) % len(windows)]], False

    def _landmarks_at(self, frame, rect, bgr, new=True, small=False):
        """The landmarks in ``rect`` if their presence is enough: to follow a hand, to take a ``new`` one, or to
        take one in a ``small`` window (the full model, on video too: :meth:`_detect_in`)."""
        model = self._video_landmarks if self._video and not small else self._landmarks
        points, presence = model.run(frame, rect, bgr=bgr)
        needed = self.fine_presence if small else self.new_hand_presence if new else self.presence
        return (points, presence) if presence >= needed else (None, presence)

    def _detect_in(self, frame, bgr, window, small=False):
        """A palm in one search window, confirmed by the landmark model on the whole frame.

        A hand in a small window (``small``) needs ``fine_presence`` from the full landmark model, on video
        too: the lite one gives the same small hands 0.87-0.97, mostly under the 0.97 that keeps faces out.
        """
        x, y, side = window
        view = frame[y:y + side, x:x + side] if side else frame
        palms = sorted(self._palms.detect(view, bgr=bgr), key=_area, reverse=True)
        for palm in palms[:PALMS_TRIED]:
            rect = rect_from_palm(palm)
            points, presence = self._landmarks_at(frame, RotatedRect(rect.cx + x, rect.cy + y, rect.side, rect.angle),
                                                  bgr, small=small)
            if points is not None:
                return points, presence
        return None, 0.0

    def _detect(self, frame, bgr, windows=None, small=False):
        """The first hand confirmed in ``windows`` (the usual search windows when None), in their order;
        ``small``: they are small windows (:meth:`_detect_in`)."""
        if windows is None:
            windows = search_windows(frame.shape[1], frame.shape[0])
        for window in windows:
            points, presence = self._detect_in(frame, bgr, window, small)
            if points is not None:
                return points, presence
        return None, 0.0

    def _whole_image(self, frame, bgr):
        """The landmark model on the whole picture, upright: for photos already cropped to the hand.

        The palm detector misses about one SIGNS photo in eight (the hand fills
        the frame); the landmark model, shown the whole photo, finds them all.
        """
        h, w = frame.shape[:2]
        for scale in WHOLE_IMAGE_SCALES:
            points, presence = self._landmarks_at(frame, RotatedRect(w / 2, h / 2, max(w, h) * scale, 0.0), bgr)
            if points is not None:
                return points, presence
        return None, 0.0

    def _hand(self, frame, points, presence, tracked, smooth) -> Hand:
        h, w = frame.shape[:2]
        square = hand_square(points, w, h)
        if smooth:
            square = self._squares.add(square, aspect=w / h, frames=self._reused + 1)
        return Hand(points, float(presence), square, square_region(square, w, h), tracked)

    def _landmark_crop(self, frame) -> RotatedRect:
        """Where to look for the followed hand: the last landmarks' crop, moved on at the hand's velocity."""
        rect = self._next
        if not self.roi_follows:
            return rect
        dx, dy = self._squares.shift(self._reused + 1)
        h, w = frame.shape[:2]
        return RotatedRect(rect.cx + dx * w, rect.cy + dy * h, rect.side, rect.angle)

    def _carried_on(self, frame) -> Hand:
        """The last placed hand on a frame between placings: its square moved on at the hand's velocity."""
        h, w = frame.shape[:2]
        last = self._last
        square = self._squares.predict(self._reused)
        if square is None or (h, w) != self._frame_size:
            return last
        moved = np.array([(square[0] - last.square[0]) * w, (square[1] - last.square[1]) * h, 0.0], np.float32)
        return Hand(last.landmarks + moved, last.presence, square, square_region(square, w, h), last.tracked)

    def find(self, frame: np.ndarray, *, bgr: bool = False) -> Hand | None:
        """The hand in this video frame, tracked from the last one when it can be.

        While a hand is tracked, the landmark model runs on every ``track_every``-th
        frame; on the frames between, the square moves on at the hand's velocity
        (:class:`core.hands.crop.SquareTracker`), the last landmarks with it.
        """
        if self._last is not None and self._reused < self.track_every - 1:
            self._reused += 1
            return self._carried_on(frame)
        self._video = True
        frame, bgr = _frame(frame, bgr)
        points, tracked = None, False
        if self._next is not None:
            points, presence = self._landmarks_at(frame, self._landmark_crop(frame), bgr, new=False)
            tracked = points is not None
        if points is None:
            points, presence = self._detect(frame, bgr, *self._video_windows(frame))
        if points is None:
            self.reset()
            return None
        self._searches = 0
        self._next = rect_from_landmarks(points)
        self._last, self._reused = self._hand(frame, points, presence, tracked, smooth=True), 0
        self._frame_size = frame.shape[:2]
        return self._last

    def find_in_image(self, image: np.ndarray, *, bgr: bool = False) -> Hand | None:
        """The hand in one still image: detect (or look at the whole photo, then in small windows for a small
        hand), then refine the crop once."""
        self._video = False
        frame, bgr = _frame(image, bgr)
        points, presence = self._detect(frame, bgr)
        if points is None:
            points, presence = self._whole_image(frame, bgr)
        if points is None and self.fine_presence is not None:  # no windows for a photo under FINE_MIN_SIDE
            points, presence = self._detect(frame, bgr, fine_windows(frame.shape[1], frame.shape[0]), small=True)
        if points is None:
            return None
        better, better_presence = self._landmarks_at(frame, rect_from_landmarks(points), bgr, new=False)
        if better is not None:
            points, presence = better, better_presence
        return self._hand(frame, points, presence, False, smooth=False)
