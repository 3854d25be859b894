"""Draw the app icon: a raised hand (sign "3") over a residual "skip" arc.

Writes ``assets/icons/handsign.png`` (512 px) and, from it, ``handsign.ico``
(Windows, 16-256 px) and ``handsign.icns`` (macOS).  Pure Pillow, so it runs
anywhere the app's venv does; ``make package`` regenerates missing files.

    python packaging/make_icon.py [--out assets/icons]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
S = 1024  # drawn large, then downsampled (cheap anti-aliasing)


def _rounded(draw: ImageDraw.ImageDraw, box, r, fill) -> None:
    draw.rounded_rectangle(box, radius=r, fill=fill)


def draw_icon(size: int = 512) -> Image.Image:
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))

    # Background tile: vertical blue gradient in a rounded square.
    grad = Image.new("RGBA", (S, S))
    top, bottom = (30, 136, 229), (13, 71, 161)
    gd = ImageDraw.Draw(grad)
    for y in range(S):
        t = y / (S - 1)
        gd.line([(0, y), (S, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)) + (255,))
    mask = Image.new("L", (S, S), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, S - 40, S - 40), radius=200, fill=255)
    img.paste(grad, (0, 0), mask)

    d = ImageDraw.Draw(img)
    # The residual shortcut: an arc from the wrist around to the finger tips, with an arrow head.
    d.arc((120, 150, 900, 930), start=200, end=330, fill=(255, 193, 7, 255), width=46)
    d.polygon([(812, 246), (905, 262), (850, 338)], fill=(255, 193, 7, 255))

    # The hand (sign "3": thumb, index and middle up; ring and little folded).
    skin = (255, 236, 214, 255)
    shade = (230, 196, 160, 255)
    shadow = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    sd = ImageDraw.Draw(shadow)
    parts = [
        ((330, 560, 700, 900), 110),  # palm
        ((420, 250, 505, 620), 42),  # index
        ((525, 210, 610, 620), 42),  # middle
        ((630, 470, 710, 640), 40),  # ring (folded)
        ((712, 510, 780, 660), 34),  # little (folded)
    ]
    for box, r in parts:
        _rounded(sd, tuple(v + 14 for v in box), r, (0, 0, 0, 90))
    thumb = [(345, 700), (250, 520), (235, 470), (290, 445), (330, 480), (420, 640)]
    sd.polygon([(x + 14, y + 14) for x, y in thumb], fill=(0, 0, 0, 90))
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(10)))
    for box, r in parts:
        _rounded(d, box, r, skin)
    d.polygon(thumb, fill=skin)
    d.line([(250, 495), (330, 480)], fill=shade, width=6)
    for x in (430, 535):  # knuckle creases
        d.line([(x + 15, 470), (x + 70, 470)], fill=shade, width=8)
    d.line([(645, 560), (695, 560)], fill=shade, width=8)

    return img.resize((size, size), Image.LANCZOS)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "icons")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    big = draw_icon(512)
    big.save(args.out / "handsign.png", optimize=True)
    big.save(args.out / "handsign.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    try:
        big.save(args.out / "handsign.icns")
    except Exception as exc:  # ICNS writing needs a recent Pillow; the .icns is only used on macOS
        print(f"make_icon: no .icns ({exc})")
    for f in sorted(args.out.glob("handsign.*")):
        print(f"{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}: {f.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
