"""Uploaded pictures are checked, re-encoded and stripped of their metadata before they are stored."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.images import MAX_SIDE, reencode_image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_exif(size=(400, 300), orientation=None) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows how it was turned
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)})
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 200, comment=b"secret note")
    return out.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(content) -> Image.Image:
    return Image.open(io.BytesIO(content.read() if hasattr(content, "read") else content))


def test_jpeg_is_reencoded_without_exif_gps_icc_or_comment():
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture does carry a position
    clean = reencode_image(upload(original))
    data = clean.read()
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (400, 300)
    assert len(img.getexif()) == 0 and not img.getexif().get_ifd(GPS_IFD)
    assert "icc_profile" not in img.info and "comment" not in img.info and "exif" not in img.info
    assert b"PhoneModel" not in data and b"secret note" not in data
    assert clean.name.endswith(".jpg") and "photo" not in clean.name


def test_exif_orientation_is_applied_before_it_is_dropped():
    clean = opened(reencode_image(upload(jpeg_with_exif(size=(400, 300), orientation=6))))
    assert clean.size == (300, 400)  # turned upright, and no orientation tag left to turn it again
    assert ORIENTATION not in clean.getexif()


def test_png_keeps_transparency_and_loses_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone@example.com")
    out = io.BytesIO()
    Image.new("RGBA", (200, 200), (0, 0, 0, 0)).save(out, format="PNG", pnginfo=info)
    clean = opened(reencode_image(upload(out.getvalue(), "a.png", "image/png")))
    assert clean.format == "PNG" and clean.mode == "RGBA"
    assert "Author" not in clean.info


def test_large_pictures_are_scaled_down():
    out = io.BytesIO()
    Image.new("RGB", (4000, 2000), (1, 2, 3)).save(out, format="JPEG")
    clean = opened(reencode_image(upload(out.getvalue())))
    assert max(clean.size) == MAX_SIDE and clean.size == (MAX_SIDE, MAX_SIDE // 2)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<script>alert(1)</script>", "x.jpg"),
        (b"GIF89a" + b"\0" * 100, "x.gif"),
        (jpeg_with_exif()[:200], "cut.jpg"),
    ],
)
def test_what_is_not_an_accepted_picture_is_refused(data, name):
    with pytest.raises(CatalogError) as caught:
        reencode_image(upload(data, name))
    assert caught.value.code == "invalid_image"


def test_gif_and_tiny_and_oversized_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (300, 300)).save(out, format="GIF")
    with pytest.raises(CatalogError):
        reencode_image(upload(out.getvalue(), "a.gif", "image/gif"))
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, format="PNG")
    with pytest.raises(CatalogError):
        reencode_image(upload(out.getvalue(), "a.png", "image/png"))
    with pytest.raises(CatalogError):
        reencode_image(upload(jpeg_with_exif()), max_bytes=1000)
