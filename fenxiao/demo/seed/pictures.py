"""Product and banner pictures for the demo, drawn with Pillow at seed time (nothing is downloaded
and no third-party picture is shipped): a soft studio background in the category's colour, the
product's silhouette with a shadow and a highlight, its name on a label, and for the gallery a
close-up and a card of its specifications. JPEG, sized for phones."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = 750
RGB = tuple[int, int, int]

# Which silhouette each demo product gets.
SHAPES = {
    "玻尿酸补水精华液": "dropper",
    "氨基酸洁面乳": "tube",
    "烟酰胺美白面膜": "sachet",
    "防晒隔离乳 SPF50+": "tube",
    "护肤三件套礼盒": "giftbox",
    "婴儿纸尿裤": "pack",
    "宝宝有机米粉": "jar",
    "婴儿湿巾": "pack",
    "儿童保温杯": "flask",
    "新生儿礼盒": "giftbox",
    "每日坚果": "sachet",
    "手工牛轧糖": "jar",
    "云南小粒咖啡": "pack",
    "黑糖姜茶": "sachet",
    "零食大礼包": "giftbox",
    "纯棉短袖 T 恤": "shirt",
    "冰丝防晒衣": "shirt",
    "休闲运动裤": "trousers",
    "真丝围巾": "scarf",
    "帆布托特包": "tote",
}

_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def font(size: int):
    for candidate in _FONTS:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _background(color: RGB, size: tuple[int, int]) -> Image.Image:
    """A vertical studio gradient, pale at the top, with a floor line."""
    width, height = size
    top, bottom = _mix(color, (255, 255, 255), 0.86), _mix(color, (255, 255, 255), 0.62)
    img = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(img)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=_mix(top, bottom, y / height))
    return img


def _shape(draw: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int], body: RGB, accent: RGB) -> None:
    """The product's silhouette inside `box` (left, top, right, bottom)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) // 2
    white = (255, 255, 255)
    if kind == "dropper":
        draw.rounded_rectangle((cx - w * 0.22, y0 + h * 0.30, cx + w * 0.22, y1), radius=int(w * 0.08), fill=body)
        draw.rectangle((cx - w * 0.09, y0 + h * 0.16, cx + w * 0.09, y0 + h * 0.30), fill=accent)
        draw.ellipse((cx - w * 0.11, y0, cx + w * 0.11, y0 + h * 0.2), fill=accent)
        draw.rounded_rectangle((cx - w * 0.15, y0 + h * 0.55, cx + w * 0.15, y0 + h * 0.78), radius=8, fill=white)
    elif kind == "tube":
        draw.polygon(
            [(cx - w * 0.25, y0), (cx + w * 0.25, y0), (cx + w * 0.17, y1 - h * 0.12), (cx - w * 0.17, y1 - h * 0.12)], fill=body
        )
        draw.rectangle((cx - w * 0.27, y0, cx + w * 0.27, y0 + h * 0.05), fill=_mix(body, (0, 0, 0), 0.15))
        draw.rounded_rectangle((cx - w * 0.12, y1 - h * 0.12, cx + w * 0.12, y1), radius=10, fill=accent)
        draw.rounded_rectangle((cx - w * 0.14, y0 + h * 0.3, cx + w * 0.14, y0 + h * 0.55), radius=8, fill=white)
    elif kind == "jar":
        draw.rounded_rectangle((cx - w * 0.34, y0 + h * 0.25, cx + w * 0.34, y1), radius=int(w * 0.1), fill=body)
        draw.rounded_rectangle((cx - w * 0.3, y0 + h * 0.08, cx + w * 0.3, y0 + h * 0.28), radius=12, fill=accent)
        draw.rounded_rectangle((cx - w * 0.24, y0 + h * 0.45, cx + w * 0.24, y0 + h * 0.75), radius=10, fill=white)
    elif kind == "giftbox":
        draw.rectangle((x0 + w * 0.08, y0 + h * 0.32, x1 - w * 0.08, y1), fill=body)
        draw.rectangle((x0, y0 + h * 0.2, x1, y0 + h * 0.36), fill=_mix(body, (0, 0, 0), 0.12))
        draw.rectangle((cx - w * 0.06, y0 + h * 0.2, cx + w * 0.06, y1), fill=accent)
        draw.ellipse((cx - w * 0.26, y0, cx - w * 0.02, y0 + h * 0.22), outline=accent, width=14)
        draw.ellipse((cx + w * 0.02, y0, cx + w * 0.26, y0 + h * 0.22), outline=accent, width=14)
    elif kind == "pack":
        draw.polygon([(x0 + w * 0.1, y0 + h * 0.1), (x1 - w * 0.1, y0 + h * 0.1), (x1, y1), (x0, y1)], fill=body)
        draw.rectangle((x0 + w * 0.1, y0 + h * 0.04, x1 - w * 0.1, y0 + h * 0.12), fill=_mix(body, (0, 0, 0), 0.15))
        draw.ellipse((cx - w * 0.22, y0 + h * 0.35, cx + w * 0.22, y0 + h * 0.75), fill=white)
        draw.ellipse((cx - w * 0.12, y0 + h * 0.45, cx + w * 0.12, y0 + h * 0.65), fill=accent)
    elif kind == "sachet":
        draw.rounded_rectangle((x0 + w * 0.12, y0 + h * 0.05, x1 - w * 0.12, y1), radius=18, fill=body)
        for y in (y0 + h * 0.05, y1 - h * 0.06):
            draw.rectangle((x0 + w * 0.12, y, x1 - w * 0.12, y + h * 0.06), fill=_mix(body, (0, 0, 0), 0.12))
        draw.rounded_rectangle((cx - w * 0.24, y0 + h * 0.32, cx + w * 0.24, y0 + h * 0.62), radius=12, fill=white)
        draw.ellipse((cx - w * 0.08, y0 + h * 0.38, cx + w * 0.08, y0 + h * 0.56), fill=accent)
    elif kind == "flask":
        draw.rounded_rectangle((cx - w * 0.18, y0 + h * 0.18, cx + w * 0.18, y1), radius=int(w * 0.12), fill=body)
        draw.rounded_rectangle((cx - w * 0.16, y0, cx + w * 0.16, y0 + h * 0.2), radius=14, fill=accent)
        draw.line((cx + w * 0.16, y0 + h * 0.06, cx + w * 0.28, y0 + h * 0.16), fill=accent, width=12)
        draw.rectangle((cx - w * 0.18, y0 + h * 0.5, cx + w * 0.18, y0 + h * 0.56), fill=white)
    elif kind == "shirt":
        draw.polygon(
            [
                (x0 + w * 0.3, y0),
                (x0, y0 + h * 0.22),
                (x0 + w * 0.12, y0 + h * 0.42),
                (x0 + w * 0.22, y0 + h * 0.36),
                (x0 + w * 0.22, y1),
                (x1 - w * 0.22, y1),
                (x1 - w * 0.22, y0 + h * 0.36),
                (x1 - w * 0.12, y0 + h * 0.42),
                (x1, y0 + h * 0.22),
                (x1 - w * 0.3, y0),
            ],
            fill=body,
        )
        draw.chord((cx - w * 0.14, y0 - h * 0.1, cx + w * 0.14, y0 + h * 0.1), 0, 180, fill=_mix(body, (255, 255, 255), 0.5))
        draw.rectangle((cx + w * 0.06, y0 + h * 0.3, cx + w * 0.16, y0 + h * 0.38), fill=accent)
    elif kind == "trousers":
        draw.polygon(
            [
                (x0 + w * 0.2, y0),
                (x1 - w * 0.2, y0),
                (x1 - w * 0.1, y1),
                (cx + w * 0.04, y1),
                (cx, y0 + h * 0.3),
                (cx - w * 0.04, y1),
                (x0 + w * 0.1, y1),
            ],
            fill=body,
        )
        draw.rectangle((x0 + w * 0.2, y0, x1 - w * 0.2, y0 + h * 0.07), fill=accent)
    elif kind == "scarf":
        draw.polygon(
            [
                (x0 + w * 0.1, y0 + h * 0.1),
                (x1 - w * 0.1, y0 + h * 0.1),
                (x1 - w * 0.1, y1 - h * 0.25),
                (x0 + w * 0.1, y1 - h * 0.25),
            ],
            fill=body,
        )
        draw.polygon([(x0 + w * 0.1, y1 - h * 0.25), (x1 - w * 0.1, y1 - h * 0.25), (cx, y1)], fill=_mix(body, (0, 0, 0), 0.12))
        for i in range(4):
            draw.line((x0 + w * (0.2 + i * 0.2), y0 + h * 0.1, x0 + w * (0.2 + i * 0.2), y1 - h * 0.25), fill=accent, width=6)
    else:  # tote
        draw.arc((cx - w * 0.22, y0, cx + w * 0.22, y0 + h * 0.5), 180, 360, fill=accent, width=18)
        draw.polygon([(x0 + w * 0.1, y0 + h * 0.25), (x1 - w * 0.1, y0 + h * 0.25), (x1, y1), (x0, y1)], fill=body)
        draw.rounded_rectangle(
            (cx - w * 0.2, y0 + h * 0.45, cx + w * 0.2, y0 + h * 0.7), radius=10, fill=_mix(body, (255, 255, 255), 0.6)
        )


def _object(kind: str, color: RGB, size: int) -> Image.Image:
    """The silhouette on a transparent layer, lit from the top left."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    body = _mix(color, (255, 255, 255), 0.08)
    accent = _mix(color, (0, 0, 0), 0.35)
    _shape(draw, kind, (int(size * 0.1), int(size * 0.05), int(size * 0.9), int(size * 0.95)), body, accent)
    shine = Image.new("RGBA", layer.size, (255, 255, 255, 0))
    ImageDraw.Draw(shine).ellipse((-size * 0.2, -size * 0.3, size * 0.55, size * 0.45), fill=(255, 255, 255, 60))
    shine.putalpha(Image.composite(shine.getchannel("A"), Image.new("L", layer.size, 0), layer.getchannel("A")))
    return Image.alpha_composite(layer, shine)


def _place(canvas: Image.Image, obj: Image.Image, left: int, top: int) -> None:
    shadow = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    w, h = obj.size
    ImageDraw.Draw(shadow).ellipse((left + w * 0.12, top + h * 0.9, left + w * 0.88, top + h * 1.02), fill=(0, 0, 0, 70))
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    canvas.alpha_composite(shadow)
    canvas.alpha_composite(obj, (left, top))


def _text_center(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill, width: int = SIZE) -> None:
    face = font(size)
    box = draw.textbbox((0, 0), text, font=face)
    draw.text(((width - (box[2] - box[0])) / 2 - box[0], y), text, fill=fill, font=face)


def _jpeg(img: Image.Image) -> bytes:
    out = BytesIO()
    img.convert("RGB").save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def product_cover(name: str, color: RGB, *, kind: str | None = None) -> bytes:
    """The cover: the product centred on the studio background, its name on a label below."""
    kind = kind or SHAPES.get(name, "box")
    canvas = _background(color, (SIZE, SIZE)).convert("RGBA")
    _place(canvas, _object(kind, color, 470), (SIZE - 470) // 2, 70)
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle((90, 590, SIZE - 90, 680), radius=45, fill=(255, 255, 255, 235))
    label = name if len(name) <= 11 else name[:11] + "…"
    _text_center(draw, 607, label, 40, _mix(color, (0, 0, 0), 0.6))
    return _jpeg(canvas)


def product_closeup(name: str, subtitle: str, color: RGB, *, kind: str | None = None) -> bytes:
    """A close-up to the right, the selling point written on the left."""
    kind = kind or SHAPES.get(name, "box")
    canvas = _background(_mix(color, (0, 0, 0), 0.1), (SIZE, SIZE)).convert("RGBA")
    _place(canvas, _object(kind, color, 620), 300, 120)
    draw = ImageDraw.Draw(canvas)
    ink = _mix(color, (0, 0, 0), 0.65)
    draw.text((48, 80), "细节", fill=_mix(color, (0, 0, 0), 0.3), font=font(34))
    y = 140
    for start in range(0, len(subtitle), 7):
        draw.text((48, y), subtitle[start : start + 7], fill=ink, font=font(44))
        y += 62
    return _jpeg(canvas)


def product_specs(name: str, specs: list[tuple[str, int]], color: RGB) -> bytes:
    """A card of the specifications and prices, as sellers post in their galleries."""
    canvas = _background(color, (SIZE, SIZE)).convert("RGBA")
    draw = ImageDraw.Draw(canvas)
    ink = _mix(color, (0, 0, 0), 0.65)
    draw.rounded_rectangle((60, 60, SIZE - 60, SIZE - 60), radius=28, fill=(255, 255, 255, 230))
    _text_center(draw, 100, name if len(name) <= 12 else name[:12] + "…", 42, ink)
    _text_center(draw, 165, "规格一览", 30, _mix(color, (0, 0, 0), 0.3))
    y = 250
    for spec, yuan in specs[:4]:
        draw.rounded_rectangle((110, y, SIZE - 110, y + 80), radius=16, fill=_mix(color, (255, 255, 255), 0.8))
        draw.text((140, y + 18), spec, fill=ink, font=font(34))
        price = f"¥{yuan}"
        box = draw.textbbox((0, 0), price, font=font(34))
        draw.text((SIZE - 140 - (box[2] - box[0]), y + 18), price, fill=(230, 67, 64), font=font(34))
        y += 100
    _text_center(draw, SIZE - 140, "正品保障 · 48 小时发货 · 7 天无理由", 26, _mix(color, (0, 0, 0), 0.4))
    return _jpeg(canvas)


def banner_picture(headline: str, tagline: str, color: RGB, kinds: list[str]) -> bytes:
    """A 750×300 banner: headline and tagline on the left, a row of products on the right."""
    width, height = 750, 300
    canvas = _background(_mix(color, (0, 0, 0), 0.25), (width, height)).convert("RGBA")
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((420, -120, 900, 360), fill=(*_mix(color, (255, 255, 255), 0.45), 255))
    for i, kind in enumerate(kinds[:3]):
        size = 170 - i * 20
        _place(canvas, _object(kind, color, size), 470 + i * 90, height - size - 30)
    ink = _mix(color, (0, 0, 0), 0.7)
    draw.text((40, 70), headline[:9], fill=ink, font=font(46))
    draw.text((42, 150), tagline, fill=_mix(color, (0, 0, 0), 0.45), font=font(28))
    draw.rounded_rectangle((42, 210, 190, 258), radius=24, fill=(230, 67, 64))
    draw.text((66, 214), "立即抢购", fill=(255, 255, 255), font=font(26))
    return _jpeg(canvas)
