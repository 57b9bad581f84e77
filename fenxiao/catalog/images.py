"""Pictures operators upload (product gallery, banners): checked, re-encoded, stripped.

An upload is accepted only when Pillow decodes it as JPEG, PNG or WebP within the size and pixel
limits. It is then drawn again into a fresh image (turned upright by its EXIF orientation first) and
saved anew, so nothing of the original file survives: no EXIF (camera, GPS position, time), no ICC or
XMP blocks, no trailing bytes, no second payload behind the picture. Oversized pictures are scaled
down to MAX_SIDE. The stored name is random; the uploader's file name is never kept.
"""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import CatalogCode, CatalogError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decoding bombs stop here, before any pixel is read
MAX_SIDE = 1600
MIN_SIDE = 100
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _refuse(message: str, **detail) -> CatalogError:
    return CatalogError(CatalogCode.INVALID_IMAGE, message, detail)


def reencode_image(upload, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ContentFile:
    """A clean copy of an uploaded picture (a file-like object), ready to be saved into an
    ImageField. Raises CatalogError(invalid_image) for anything that is not a picture we accept."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _refuse(gettext("图片不能超过 %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}, max_bytes=max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(gettext("图片不能超过 %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}, max_bytes=max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise _refuse(gettext("无法识别的图片，请上传 JPG、PNG 或 WebP")) from exc
    if fmt not in FORMATS:
        raise _refuse(gettext("只支持 JPG、PNG 或 WebP 图片"), format=fmt)
    if width * height > MAX_PIXELS:
        raise _refuse(gettext("图片像素过大"), width=width, height=height)
    if min(width, height) < MIN_SIDE:
        raise _refuse(gettext("图片太小，短边至少 %(px)s 像素") % {"px": MIN_SIDE}, width=width, height=height)
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            upright = ImageOps.exif_transpose(source)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(gettext("图片已损坏，无法读取")) from exc

    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    mode = "RGBA" if has_alpha and fmt != "JPEG" else "RGB"
    pixels = upright.convert(mode)
    if max(pixels.size) > MAX_SIDE:
        pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new(mode, pixels.size)  # a fresh image: no info, no EXIF, no profiles carried over
    clean.paste(pixels)

    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, format="PNG", optimize=True)
    elif fmt == "WEBP":
        clean.save(out, format="WEBP", quality=85, method=4)
    else:
        clean.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[fmt]}")
