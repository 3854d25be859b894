"""core.inference.region: the normalised region and its pixels, worked out by hand."""

from __future__ import annotations

import pytest

from core.images import Region
from core.inference.region import CENTRE, RegionChoice, clamp_norm, crop_region, region_from_norm


def test_region_from_norm_by_hand():
    assert region_from_norm((0.5, 0.5, 0.5), 200, 100) == Region(75, 25, 50, 50)  # side: half the short side
    assert region_from_norm((0.25, 0.25, 0.4), 64, 64) == Region(3, 3, 26, 26)
    assert region_from_norm((0.0, 1.0, 0.5), 200, 100) == Region(0, 50, 50, 50)  # pushed back inside
    assert region_from_norm((0.5, 0.5, 2.0), 30, 20) == Region(0, 0, 30, 20)  # never larger than the frame


@pytest.mark.parametrize("norm", [(0.0, 0.0, 0.05), (1.0, 1.0, 3.0), (0.5, 0.5, 0.8), (0.99, 0.01, 0.6)])
@pytest.mark.parametrize("size", [(640, 480), (480, 640), (64, 64)])
def test_clamped_regions_lie_inside_the_frame(norm, size):
    w, h = size
    cx, cy, side = clamp_norm(norm, w, h)
    assert 0.1 <= side <= 1.0
    r = crop_region(norm, w, h)
    assert r.x >= 0 and r.y >= 0 and r.x + r.w <= w and r.y + r.h <= h and r.w == r.h
    assert clamp_norm((cx, cy, side), w, h) == pytest.approx((cx, cy, side))  # already inside: unchanged


def test_clamp_moves_the_centre_in_by_half_the_side():
    cx, cy, side = clamp_norm((0.0, 1.0, 0.5), 200, 100)
    assert side == 0.5 and cx == pytest.approx(25 / 200) and cy == pytest.approx(1 - 25 / 100)


def test_region_choice_per_source_kind():
    regions = RegionChoice()
    assert regions.get("camera") == CENTRE and regions.get("images") == (0.5, 0.5, 1.0)
    assert not regions.is_chosen("camera")
    assert regions.set("camera", [0.3, 0.4, 0.5]) == (0.3, 0.4, 0.5)
    assert regions.is_chosen("camera") and regions.get("video") == CENTRE  # other kinds keep theirs
    assert regions.reset("camera") == CENTRE and not regions.is_chosen("camera")
