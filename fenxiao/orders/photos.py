"""Photos a buyer attaches to an after-sale request: checked, then re-encoded before anything is stored.

- At most `MAX_PHOTOS` per after-sale, each upload at most `MAX_PHOTO_BYTES`.
- The type is what the bytes decode as (JPEG, PNG or WebP), never the file name or the browser's
  content type: a text file renamed `.jpg` is refused. Images with more than `MAX_PIXELS` pixels are
  refused before they are decoded (a small file can unpack into gigabytes).
- Every accepted photo is decoded, turned upright by its EXIF orientation, scaled down to at most
  `MAX_EDGE` pixels on the long side and written anew as a JPEG without any metadata: EXIF (and with
  it the GPS position and the camera's serial number), XMP and PNG text chunks do not survive.
- Files are stored under MEDIA_ROOT/aftersales/ with random names; pages and the API link to the
  access-checked views (`photo_for_viewer`), never to the file.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import OrderCode, OrderError

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_EDGE = 2048
JPEG_QUALITY = 85
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
UPLOAD_DIR = "aftersales"


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes  # the re-encoded JPEG
    width: int
    height: int
    source_format: str  # what the upload decoded as: JPEG, PNG or WEBP


def photo_path(instance, filename: str) -> str:
    """A random name under aftersales/YYYY/MM/: nothing of the buyer's file name is kept."""
    return f"{UPLOAD_DIR}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.jpg"


def _refuse(code: OrderCode, message: str, detail: dict) -> OrderError:
    return OrderError(code, message, {"field": "photos", **detail}, status=422)


def check_count(existing: int, adding: int) -> None:
    if existing + adding > MAX_PHOTOS:
        raise _refuse(
            OrderCode.TOO_MANY_PHOTOS,
            gettext("每个售后申请最多上传 %(max)d 张照片") % {"max": MAX_PHOTOS},
            {"max": MAX_PHOTOS, "existing": existing, "adding": adding},
        )


def _read(upload, index: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_large(index, size)
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large(index, len(data))
    if not data:
        raise _not_an_image(index)
    return data


def _too_large(index: int, size: int) -> OrderError:
    return _refuse(
        OrderCode.PHOTO_TOO_LARGE,
        gettext("第 %(n)d 张照片超过 %(mb)d MB，请压缩后再上传") % {"n": index + 1, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
        {"index": index, "size": size, "max_bytes": MAX_PHOTO_BYTES},
    )


def _not_an_image(index: int) -> OrderError:
    return _refuse(
        OrderCode.INVALID_PHOTO,
        gettext("第 %(n)d 个文件不是 JPEG、PNG 或 WebP 图片") % {"n": index + 1},
        {"index": index, "accepted": sorted(ACCEPTED_FORMATS.values())},
    )


def _reencode(data: bytes, index: int) -> PreparedPhoto:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format or ""
                if source_format not in ACCEPTED_FORMATS:
                    raise _not_an_image(index)
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(
                        OrderCode.PHOTO_TOO_LARGE,
                        gettext("第 %(n)d 张照片尺寸过大") % {"n": index + 1},
                        {"index": index, "width": probe.width, "height": probe.height, "max_pixels": MAX_PIXELS},
                    )
                probe.load()  # decodes every pixel: a truncated or corrupt file fails here
                image = ImageOps.exif_transpose(probe)
    except OrderError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        raise _not_an_image(index) from None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image object carries no info dict worth keeping; nothing is passed as exif/icc/xmp.
    Image.frombytes("RGB", image.size, image.tobytes()).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return PreparedPhoto(content=out.getvalue(), width=image.width, height=image.height, source_format=source_format)


def prepare_photos(uploads, *, existing: int = 0) -> list[PreparedPhoto]:
    """Check and re-encode the uploads (Django UploadedFile objects or any binary file objects);
    refuses the whole set on the first photo that fails, saying which one and why."""
    uploads = [upload for upload in (uploads or []) if upload is not None]
    check_count(existing, len(uploads))
    return [_reencode(_read(upload, index), index) for index, upload in enumerate(uploads)]


def as_file(photo: PreparedPhoto) -> ContentFile:
    return ContentFile(photo.content, name="photo.jpg")
