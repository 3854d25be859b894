"""Reading images and turning any image or frame into the model's input.

This is the one place where preprocessing happens, shared by training,
evaluation, the CLI and the live camera path:

  any file or array (RGB/BGR/gray/alpha/palette/16-bit, any size, EXIF rotated)
  -> uint8 RGB H x W x 3 -> square crop (centre, or a given region)
  -> resize to the model input -> float32 scaled to [0, 1] (the notebook's X/255).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import DataError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
MAX_PIXELS = 200_000_000  # refuse decompression bombs beyond this (a 12000x12000 photo is 144 M)
# Larger photos are decoded smaller: the model sees 64 x 64, and a 12000 x 12000 photo at full
# size costs about 1.3 GB in decoding and conversion (measured) against about 0.1 GB this way.
MAX_DECODE_SIDE = 4096


def is_image_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 RGB ``(H, W, 3)``.

    Applies EXIF orientation, converts grayscale, palette, CMYK, alpha (composited
    on white) and 16-bit images, and uses the first frame of animations.
    Raises :class:`DataError` with the file name for anything unreadable.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(path) as im:
            im.seek(0)
            im = _shrink_huge(im)
            im = ImageOps.exif_transpose(im)
            return pil_to_rgb_array(im)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not an image") from None
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image Pillow can read (corrupt, empty or another format)") from None
    except Image.DecompressionBombError as exc:
        raise DataError(f"{path}: image is too large to open safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: damaged image ({exc})") from None


def _shrink_huge(im):
    """Decode an image whose longer side exceeds ``MAX_DECODE_SIDE`` at a fraction of its size.

    JPEGs are scaled while decoding (by 1/2, 1/4 or 1/8, to no less than ``MAX_DECODE_SIDE``);
    other formats are decoded and then reduced by a whole factor.
    """
    side = max(im.size)
    if side <= MAX_DECODE_SIDE:
        return im
    if im.format == "JPEG":
        scale = MAX_DECODE_SIDE / side
        im.draft(im.mode, (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
        side = max(im.size)
    factor = -(-side // MAX_DECODE_SIDE)
    if factor > 1:
        try:
            return im.reduce(factor)
        except (ValueError, NotImplementedError):  # a mode reduce() does not handle: keep it as it is
            return im
    return im


def pil_to_rgb_array(im) -> np.ndarray:
    """Convert any Pillow image mode to a uint8 RGB array."""
    from PIL import Image

    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        hi = 65535.0 if im.mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        arr = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(arr[:, :, None], 3, axis=2)
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "RGB" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.uint8).copy()


def to_rgb_uint8(image: np.ndarray, *, bgr: bool = False) -> np.ndarray:
    """Normalise an array to uint8 RGB ``(H, W, 3)``.

    Accepts ``(H, W)`` gray, ``(H, W, 1|3|4)``; uint8, uint16, bool or float in
    [0, 1].  ``bgr=True`` for OpenCV frames.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise DataError(f"expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if arr.dtype == np.uint8:
        pass
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype == np.uint16:
        arr = (arr.astype(np.uint32) * 255 + 32767) // 65535
        arr = arr.astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        arr = np.clip(np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        arr = (arr * 255.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer):
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        raise DataError(f"unsupported image dtype {arr.dtype}")
    channels = arr.shape[2]
    if channels == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif channels == 4:
        rgb = arr[:, :, :3].astype(np.uint16)
        alpha = arr[:, :, 3:4].astype(np.uint16)
        arr = ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    if bgr and channels != 1:
        arr = arr[:, :, ::-1]
    return np.ascontiguousarray(arr)


@dataclass(frozen=True)
class Region:
    """A square (or rectangular) region of a frame in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def clamp(self, width: int, height: int) -> Region:
        x = min(max(0, int(self.x)), max(0, width - 1))
        y = min(max(0, int(self.y)), max(0, height - 1))
        w = max(1, min(int(self.w), width - x))
        h = max(1, min(int(self.h), height - y))
        return Region(x, y, w, h)


def center_square(width: int, height: int, fraction: float = 1.0) -> Region:
    """The largest centred square (times ``fraction``) of a ``width`` x ``height`` frame."""
    side = max(1, int(round(min(width, height) * fraction)))
    return Region((width - side) // 2, (height - side) // 2, side, side)


def crop_resize(image: np.ndarray, size: tuple[int, int], region: Region | None = None) -> np.ndarray:
    """Crop ``region`` (default: centre square) from a uint8 RGB image and resize to ``size`` (h, w).

    Uses area interpolation when shrinking (what a camera frame usually needs)
    and bilinear when enlarging.
    """
    import cv2

    height, width = image.shape[:2]
    r = (region or center_square(width, height)).clamp(width, height)
    crop = image[r.y : r.y + r.h, r.x : r.x + r.w]
    th, tw = int(size[0]), int(size[1])
    if crop.shape[0] == th and crop.shape[1] == tw:
        return np.ascontiguousarray(crop)
    shrinking = crop.shape[0] > th or crop.shape[1] > tw
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(crop), (tw, th), interpolation=interp)


def scale(batch_uint8: np.ndarray) -> np.ndarray:
    """The notebook's preprocessing: uint8 pixels to float32 in [0, 1]."""
    return np.asarray(batch_uint8, dtype=np.float32) / np.float32(255.0)


PREPROCESSING = "rgb_uint8_div255"  # recorded in model files; the only scheme so far


def prepare(image: np.ndarray, size: tuple[int, int], *, region: Region | None = None, bgr: bool = False) -> np.ndarray:
    """Any image or frame -> uint8 RGB model-sized image (not yet scaled)."""
    if (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
            and image.shape[0] > 0 and image.shape[1] > 0):  # an empty frame goes to to_rgb_uint8's clear error
        # A camera frame: crop and shrink first, then reorder the channels of the small image
        # (same pixels; saves a full-frame copy, ~0.8 ms of 1.2 ms at 640x480).
        return to_rgb_uint8(crop_resize(image, size, region), bgr=bgr)
    return crop_resize(to_rgb_uint8(image, bgr=bgr), size, region)
