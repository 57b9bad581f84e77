"""The shop poster (店铺海报): one PNG with the shop's name, avatar, welcome line, up to four featured
products with prices, and the QR code of the shop's share link, for saving and posting in chats.

Chinese text is drawn with Noto Sans CJK SC (Debian package fonts-noto-cjk). Without it Pillow
would draw empty boxes, so a missing font is an error (poster_font_missing), never a silent fallback.
Finished posters are kept in the shared cache (Django's default cache: Redis or the database, so
every worker process reuses a poster another one drew) under a key made of everything drawn on them
(the shop's updated_at, the products' names and prices, the link), so any change draws a new one.
Only the font lookups stay in process memory: they derive from files on this machine, not shared state.
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import qrcode
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont, ImageOps
from qrcode.image.pil import PilImage

from fenxiao.common.money import yuan

from . import selectors
from .errors import DistributionCode, DistributionError
from .models import Distributor

POSTER_SIZE = (750, 1334)
POSTER_PRODUCTS = 4
QR_SIZE = 300
QR_BOX = (225, 960, 225 + QR_SIZE, 960 + QR_SIZE)  # left, top, right, bottom
AVATAR_DIAMETER = 160
CACHE_SECONDS = 24 * 60 * 60

FONT_FAMILY = "Noto Sans CJK SC"
KNOWN_FONT_FILES = {
    False: Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    True: Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}

GREEN = (7, 193, 96)
INK = (25, 25, 25)
MUTED = (128, 128, 128)
RED = (250, 81, 81)
PAPER = (247, 247, 247)
LINE = (236, 236, 236)


def _fc_match(bold: bool) -> tuple[str, int] | None:
    """The font file and face index fontconfig picks for Noto Sans CJK SC, if it is that font."""
    if shutil.which("fc-match") is None:
        return None
    pattern = FONT_FAMILY + (":bold" if bold else "")
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}\n%{family}", pattern], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("\n")
    if len(parts) < 3 or FONT_FAMILY not in parts[2] or not Path(parts[0]).is_file():
        return None  # fontconfig falls back to any font (DejaVu …) when Noto CJK is missing
    return parts[0], int(parts[1] or 0)


@functools.lru_cache(maxsize=4)
def font_source(bold: bool = False) -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK SC; bold falls back to regular. Raises poster_font_missing."""
    found = _fc_match(bold)
    if found is not None:
        return found
    for path in (KNOWN_FONT_FILES[bold], KNOWN_FONT_FILES[False]):
        if path.is_file():
            for index in range(8):
                try:
                    if ImageFont.truetype(str(path), 12, index=index).getname()[0] == FONT_FAMILY:
                        return str(path), index
                except OSError:
                    break
    if bold:
        return font_source(False)
    raise DistributionError(
        DistributionCode.POSTER_FONT_MISSING,
        gettext("服务器缺少中文字体（Noto Sans CJK SC，Debian 包 fonts-noto-cjk），无法生成海报"),
        {"family": FONT_FAMILY},
        status=503,
    )


@functools.lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = font_source(bold)
    return ImageFont.truetype(path, size, index=index)


def qr_image(url: str, size: int = QR_SIZE) -> Image.Image:
    """The QR code of `url` as a size×size RGB image (the same pixels the poster carries)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(image_factory=PilImage, fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def code_image(png: bytes, size: int) -> Image.Image:
    """A mini-program code (an image WeChat made) scaled into the QR code's square."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return ImageOps.fit(image.convert("RGB"), (size, size), method=Image.Resampling.LANCZOS)


def _scan_image(share_url: str, size: int, code_png: bytes | None) -> Image.Image:
    """The mini-program code when there is one (and it is a readable image), else the link's QR code."""
    if code_png:
        try:
            return code_image(code_png, size)
        except (OSError, ValueError):
            pass
    return qr_image(share_url, size)


def _code_digest(code_png: bytes | None) -> str:
    return hashlib.sha256(code_png).hexdigest()[:16] if code_png else ""


def _fit(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int) -> str:
    """`text`, cut with an ellipsis so that it fits in `width` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """`text` broken into at most `lines` lines of `width` pixels (by character: CJK has no spaces)."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        cut = len(rest)
        while cut > 1 and draw.textlength(rest[:cut], font=face) > width:
            cut -= 1
        out.append(rest[:cut])
        rest = rest[cut:]
    if rest and out:
        out[-1] = _fit(draw, out[-1] + rest, face, width)
    return out


def _round_avatar(avatar: Image.Image | None, initial: str) -> Image.Image:
    size = AVATAR_DIAMETER
    if avatar is None:
        face = Image.new("RGB", (size, size), (255, 255, 255))
        ImageDraw.Draw(face).text((size / 2, size / 2), initial or "店", font=font(72, bold=True), fill=GREEN, anchor="mm")
    else:
        face = ImageOps.fit(avatar.convert("RGB"), (size, size), method=Image.Resampling.LANCZOS)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    face.putalpha(mask)
    return face


@dataclass(frozen=True)
class PosterProduct:
    name: str
    price_fen: int | None


def render_poster(
    *,
    name: str,
    welcome: str,
    avatar: Image.Image | None,
    products: list[PosterProduct],
    share_url: str,
    code_png: bytes | None = None,
) -> bytes:
    """The poster as PNG bytes, POSTER_SIZE pixels, the QR code of `share_url` (or the mini-program
    code `code_png`) at QR_BOX."""
    width, height = POSTER_SIZE
    poster = Image.new("RGB", POSTER_SIZE, PAPER)
    draw = ImageDraw.Draw(poster)
    draw.rectangle((0, 0, width, 430), fill=GREEN)

    ring = (width - AVATAR_DIAMETER) // 2 - 6, 64
    draw.ellipse((ring[0], ring[1], ring[0] + AVATAR_DIAMETER + 11, ring[1] + AVATAR_DIAMETER + 11), fill=(255, 255, 255))
    circle = _round_avatar(avatar, name[:1])
    poster.paste(circle, (ring[0] + 6, ring[1] + 6), circle)

    draw.text(
        (width / 2, 280), _fit(draw, name, font(44, bold=True), width - 80), font=font(44, bold=True), fill="white", anchor="mm"
    )
    for i, line in enumerate(_wrap(draw, welcome, font(28), width - 120, 2)):
        draw.text((width / 2, 340 + i * 40), line, font=font(28), fill=(232, 248, 238), anchor="mm")

    draw.rounded_rectangle((40, 460, width - 40, 930), radius=16, fill="white")
    draw.text((72, 500), gettext("店主推荐"), font=font(32, bold=True), fill=INK, anchor="lm")
    shown = products[:POSTER_PRODUCTS]
    if not shown:
        draw.text((width / 2, 720), gettext("精选好物，欢迎进店逛逛"), font=font(28), fill=MUTED, anchor="mm")
    for i, item in enumerate(shown):
        y = 590 + i * 88
        price = f"¥{yuan(item.price_fen)}" if item.price_fen is not None else ""
        price_width = draw.textlength(price, font=font(30, bold=True)) if price else 0
        draw.text(
            (72, y), _fit(draw, item.name, font(30), int(width - 144 - price_width - 24)), font=font(30), fill=INK, anchor="lm"
        )
        if price:
            draw.text((width - 72, y), price, font=font(30, bold=True), fill=RED, anchor="rm")
        if i:
            draw.line((72, y - 44, width - 72, y - 44), fill=LINE, width=2)

    poster.paste(_scan_image(share_url, QR_SIZE, code_png), QR_BOX[:2])
    caption = gettext("长按识别小程序码，进店逛逛") if code_png else gettext("长按识别二维码，进店逛逛")
    draw.text((width / 2, 1292), caption, font=font(26), fill=MUTED, anchor="mm")

    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class Poster:
    png: bytes
    etag: str


def _load_avatar(storage_name: str) -> Image.Image | None:
    if not storage_name:
        return None
    try:
        with default_storage.open(storage_name, "rb") as handle:
            image = Image.open(handle)
            image.load()
            return image
    except (OSError, ValueError):
        return None  # a lost file shows the placeholder rather than failing the poster


def poster_key(distributor: Distributor, share_url: str, code_png: bytes | None = None) -> tuple[str, dict]:
    """The cache key (a digest of everything drawn) and the inputs for `render_poster`."""
    profile = selectors.shop_profile(distributor)
    products = [PosterProduct(p.name, p.min_retail_fen) for p in selectors.featured_products(profile)[:POSTER_PRODUCTS]]
    parts = [
        str(distributor.pk),
        profile.updated_at.isoformat() if profile.updated_at else "-",
        profile.name,
        profile.welcome,
        profile.avatar_name,
        share_url,
        _code_digest(code_png),
        *(f"{p.name}\x1f{p.price_fen}" for p in products),
    ]
    digest = hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:32]
    inputs = {
        "name": profile.name,
        "welcome": profile.welcome,
        "avatar_name": profile.avatar_name,
        "products": products,
        "share_url": share_url,
    }
    return digest, inputs


def shop_poster(distributor: Distributor, share_url: str, code_png: bytes | None = None) -> Poster:
    """The distributor's poster, drawn once per distinct content and then served from the cache.
    `code_png`: the mini-program code to show instead of the link's QR code."""
    digest, inputs = poster_key(distributor, share_url, code_png)
    cache_key = f"shop-poster:{digest}"
    png = cache.get(cache_key)
    if png is None:
        png = render_poster(
            name=inputs["name"],
            welcome=inputs["welcome"],
            avatar=_load_avatar(inputs["avatar_name"]),
            products=inputs["products"],
            share_url=share_url,
            code_png=code_png,
        )
        cache.set(cache_key, png, CACHE_SECONDS)
    return Poster(png=png, etag=digest)


# --- the product poster ----------------------------------------------------------------------------

PRODUCT_PICTURE_BOX = (0, 0, 750, 750)
PRODUCT_QR_SIZE = 240
PRODUCT_QR_BOX = (462, 1044, 462 + PRODUCT_QR_SIZE, 1044 + PRODUCT_QR_SIZE)  # left, top, right, bottom
PRODUCT_CACHE_PREFIX = "product-poster"


def _load_picture(storage_name: str) -> Image.Image | None:
    return _load_avatar(storage_name)


def _picture_tile(picture: Image.Image | None, initial: str, swatch: int) -> Image.Image:
    left, top, right, bottom = PRODUCT_PICTURE_BOX
    size = (right - left, bottom - top)
    if picture is not None:
        return ImageOps.fit(ImageOps.exif_transpose(picture).convert("RGB"), size, method=Image.Resampling.LANCZOS)
    tile = Image.new("RGB", size, PLACEHOLDER_COLOURS[swatch % len(PLACEHOLDER_COLOURS)])
    ImageDraw.Draw(tile).text((size[0] / 2, size[1] / 2), initial or "·", font=font(260, bold=True), fill="white", anchor="mm")
    return tile


PLACEHOLDER_COLOURS = [(7, 193, 96), (16, 174, 255), (250, 157, 59), (250, 81, 81), (106, 101, 255), (0, 168, 150)]


def render_product_poster(
    *,
    name: str,
    price_fen: int | None,
    price_varies: bool,
    picture: Image.Image | None,
    placeholder: int,
    shop_name: str,
    share_url: str,
    code_png: bytes | None = None,
) -> bytes:
    """The product poster as PNG bytes, POSTER_SIZE pixels: the picture on top, the price and name,
    then the shop's name and the QR code of `share_url` (or the mini-program code `code_png`) at
    PRODUCT_QR_BOX."""
    width, height = POSTER_SIZE
    poster = Image.new("RGB", POSTER_SIZE, (255, 255, 255))
    poster.paste(_picture_tile(picture, name[:1], placeholder), PRODUCT_PICTURE_BOX[:2])
    draw = ImageDraw.Draw(poster)

    y = PRODUCT_PICTURE_BOX[3] + 64
    if price_fen is not None:
        price = f"¥{yuan(price_fen)}"
        draw.text((48, y), price, font=font(60, bold=True), fill=RED, anchor="ls")
        if price_varies:
            after = 48 + draw.textlength(price, font=font(60, bold=True)) + 8
            draw.text((after, y), gettext("起"), font=font(30), fill=RED, anchor="ls")
    for i, line in enumerate(_wrap(draw, name, font(36, bold=True), width - 96, 2)):
        draw.text((48, y + 36 + i * 52), line, font=font(36, bold=True), fill=INK, anchor="lt")

    draw.line((48, 1004, width - 48, 1004), fill=LINE, width=2)
    text_width = PRODUCT_QR_BOX[0] - 48 - 32
    draw.text((48, 1080), _fit(draw, shop_name, font(32, bold=True), text_width), font=font(32, bold=True), fill=INK, anchor="lm")
    draw.text((48, 1130), gettext("为你推荐好物"), font=font(26), fill=MUTED, anchor="lm")
    draw.rounded_rectangle((48, 1196, 48 + text_width, 1262), radius=33, fill=(232, 248, 238))
    draw.text(
        (48 + text_width / 2, 1229),
        _fit(
            draw,
            gettext("长按识别小程序码 查看商品") if code_png else gettext("长按识别二维码 查看商品"),
            font(26),
            text_width - 24,
        ),
        font=font(26),
        fill=GREEN,
        anchor="mm",
    )
    poster.paste(_scan_image(share_url, PRODUCT_QR_SIZE, code_png), PRODUCT_QR_BOX[:2])

    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()


def product_poster_inputs(distributor: Distributor, product, share_url: str, code_png: bytes | None = None) -> tuple[str, dict]:
    """The cache key (a digest of everything drawn) and the inputs for `render_product_poster`.
    `product` is a shelf product (fenxiao.shop's reads): its sellable SKUs and images prefetched."""
    prices = [sku.retail_fen for sku in product.skus.all() if getattr(getattr(sku, "purchase", None), "is_purchasable", True)]
    images = list(product.images.all())
    inputs = {
        "name": product.name,
        "price_fen": min(prices) if prices else None,
        "price_varies": len(set(prices)) > 1,
        "picture_name": images[0].image.name if images else "",
        "placeholder": product.pk % len(PLACEHOLDER_COLOURS),
        "shop_name": selectors.shop_profile(distributor).name,
        "share_url": share_url,
        "code": _code_digest(code_png),
    }
    parts = [str(distributor.pk), str(product.pk), *(f"{key}={inputs[key]}" for key in sorted(inputs))]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:32], inputs


def product_poster(distributor: Distributor, product, share_url: str, code_png: bytes | None = None) -> Poster:
    """The distributor's poster of `product`, drawn once per distinct content, then served from the
    shared cache. `code_png`: the mini-program code to show instead of the link's QR code."""
    digest, inputs = product_poster_inputs(distributor, product, share_url, code_png)
    cache_key = f"{PRODUCT_CACHE_PREFIX}:{digest}"
    png = cache.get(cache_key)
    if png is None:
        png = render_product_poster(
            name=inputs["name"],
            price_fen=inputs["price_fen"],
            price_varies=inputs["price_varies"],
            picture=_load_picture(inputs["picture_name"]),
            placeholder=inputs["placeholder"],
            shop_name=inputs["shop_name"],
            share_url=share_url,
            code_png=code_png,
        )
        cache.set(cache_key, png, CACHE_SECONDS)
    return Poster(png=png, etag=digest)
