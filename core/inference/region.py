"""The region of a frame the model sees, as normalised numbers and as pixels.

A region is stored as ``(centre x, centre y, side)``: the centre as fractions of
the frame's width and height, the side as a fraction of its short side.  That
survives a change of camera or image size; :func:`crop_region` turns it into
the pixel :class:`~core.images.Region` for one frame.
"""

from __future__ import annotations

from core.images import Region

Norm = tuple[float, float, float]

CENTRE: Norm = (0.5, 0.5, 0.8)  # a live picture: the hand rarely fills the frame
MIN_SIDE = 0.1

# The region each source starts with: still images are usually cropped around the hand already.
DEFAULT_SIDE = {"camera": 0.8, "video": 0.8, "images": 1.0, "none": 1.0}


def region_from_norm(norm: Norm, width: int, height: int) -> Region:
    """``(cx, cy, side)`` normalised -> the pixel square, kept inside a ``width`` x ``height`` frame."""
    cx, cy, side = norm
    s = max(1, int(round(side * min(width, height))))
    x = int(round(cx * width - s / 2))
    y = int(round(cy * height - s / 2))
    x = min(max(0, x), max(0, width - s))
    y = min(max(0, y), max(0, height - s))
    return Region(x, y, min(s, width), min(s, height))


def clamp_norm(norm: Norm, width: int, height: int) -> Norm:
    """The nearest region that lies wholly inside the frame, with a side between ``MIN_SIDE`` and 1."""
    cx, cy, side = norm
    side = float(min(1.0, max(MIN_SIDE, side)))
    s = side * min(width, height)
    half_w, half_h = s / 2 / width, s / 2 / height
    cx = float(min(1 - half_w, max(half_w, cx)))
    cy = float(min(1 - half_h, max(half_h, cy)))
    return cx, cy, side


def crop_region(norm: Norm, width: int, height: int) -> Region:
    """The pixels the model sees for ``norm`` in a ``width`` x ``height`` frame."""
    return region_from_norm(clamp_norm(norm, width, height), width, height)


class RegionChoice:
    """The region per source kind ("camera", "video", "images"): the user's, or that kind's default."""

    def __init__(self):
        self._chosen: dict[str, Norm] = {}

    def get(self, mode: str) -> Norm:
        return self._chosen.get(mode, (0.5, 0.5, DEFAULT_SIDE.get(mode, 1.0)))

    def set(self, mode: str, norm) -> Norm:
        self._chosen[mode] = tuple(float(v) for v in norm)
        return self._chosen[mode]

    def reset(self, mode: str) -> Norm:
        self._chosen.pop(mode, None)
        return self.get(mode)

    def is_chosen(self, mode: str) -> bool:
        """True when the user moved or resized the region for this kind of source."""
        return mode in self._chosen
