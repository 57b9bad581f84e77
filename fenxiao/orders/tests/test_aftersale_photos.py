"""Photos on after-sale requests: at most six, checked by decoding (not by name), at most 5 MB each,
re-encoded without metadata (the GPS position is gone), stored with random names; the API takes them
as multipart; the admin shows them to staff."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from fenxiao.accounts.services import issue_token
from fenxiao.orders import services
from fenxiao.orders.errors import OrderCode, OrderError
from fenxiao.orders.models import AfterSale, AfterSalePhoto
from fenxiao.orders.photos import MAX_PHOTOS
from tests.api_helpers import assert_error
from tests.factories import OrderFactory, SkuFactory, UserFactory

from .photo_files import GPS_LATITUDE, gps_of, image_upload, jpeg_with_gps, oversized, text_as_jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(buyer, address, operator):
    serum = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)
    return OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], address=address, operator=operator)


def line_of(order):
    return order.lines.get()


def ask(buyer, order, photos):
    return services.request_aftersale(
        user=buyer, line_id=line_of(order).pk, kind="refund_only", amount_fen=1000, reason="破损", photos=photos
    )


def stored_bytes(photo: AfterSalePhoto) -> bytes:
    with photo.image.open("rb") as handle:
        return handle.read()


def test_photos_are_reencoded_without_gps_and_stored_under_random_names(buyer, shipped):
    upload = jpeg_with_gps()
    original = upload.read()
    upload.seek(0)
    assert gps_of(original)[2] == GPS_LATITUDE  # the fixture really carries a position

    aftersale = ask(buyer, shipped, [upload, image_upload("PNG"), image_upload("WEBP", "x.webp", mode="RGB")])
    photos = list(aftersale.photos.all())
    assert [p.position for p in photos] == [1, 2, 3]
    first = stored_bytes(photos[0])
    assert gps_of(first) == {}
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
        assert image.size == (600, 800)  # turned upright by its EXIF orientation
    assert b"PhoneMaker" not in first and b"Exif" not in first
    assert (photos[0].width, photos[0].height) == (600, 800) and photos[0].size_bytes == len(first)
    names = [p.image.name for p in photos]
    assert all(re.fullmatch(r"aftersales/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", name) for name in names), names
    assert "IMG_0001" not in "".join(names)
    assert all(default_storage.exists(name) for name in names)


def test_a_seventh_photo_is_refused(buyer, shipped):
    with pytest.raises(OrderError) as refused:
        ask(buyer, shipped, [image_upload() for _ in range(MAX_PHOTOS + 1)])
    assert refused.value.code == OrderCode.TOO_MANY_PHOTOS and "最多上传 6 张" in refused.value.message
    assert not AfterSale.objects.exists() and not AfterSalePhoto.objects.exists()

    aftersale = ask(buyer, shipped, [image_upload() for _ in range(5)])
    services.add_aftersale_photos(aftersale_id=aftersale.pk, user=buyer, photos=[image_upload()])
    with pytest.raises(OrderError) as refused:
        services.add_aftersale_photos(aftersale_id=aftersale.pk, user=buyer, photos=[image_upload()])
    assert refused.value.code == OrderCode.TOO_MANY_PHOTOS
    assert aftersale.photos.count() == MAX_PHOTOS


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(text_as_jpeg, id="text renamed .jpg"),
        pytest.param(lambda: image_upload("GIF", "a.gif", mode="P"), id="gif"),
        pytest.param(lambda: image_upload("BMP", "b.jpg", mode="RGB"), id="bmp named jpg"),
    ],
)
def test_files_that_are_not_jpeg_png_or_webp_are_refused(buyer, shipped, bad):
    with pytest.raises(OrderError) as refused:
        ask(buyer, shipped, [image_upload(), bad()])
    assert refused.value.code == OrderCode.INVALID_PHOTO
    assert "第 2 个文件不是 JPEG、PNG 或 WebP 图片" == refused.value.message
    assert not AfterSale.objects.exists() and not AfterSalePhoto.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.jpg"))  # nothing written for a refused set


def test_a_truncated_jpeg_is_refused(buyer, shipped):
    data = jpeg_with_gps().read()
    upload = text_as_jpeg()
    upload.file = io.BytesIO(data[: len(data) // 2])
    upload.size = len(data) // 2
    with pytest.raises(OrderError) as refused:
        ask(buyer, shipped, [upload])
    assert refused.value.code == OrderCode.INVALID_PHOTO


def test_photos_over_five_megabytes_are_refused(buyer, shipped):
    with pytest.raises(OrderError) as refused:
        ask(buyer, shipped, [image_upload(), oversized()])
    assert refused.value.code == OrderCode.PHOTO_TOO_LARGE and "第 2 张照片超过 5 MB" in refused.value.message
    ask(buyer, shipped, [image_upload()])  # a normal one goes through


def test_no_photos_after_the_aftersale_closed_and_none_for_somebody_else(buyer, shipped):
    aftersale = ask(buyer, shipped, [])
    with pytest.raises(OrderError) as refused:
        services.add_aftersale_photos(aftersale_id=aftersale.pk, user=UserFactory(), photos=[image_upload()])
    assert refused.value.code == OrderCode.AFTERSALE_NOT_FOUND and refused.value.status == 404
    services.withdraw_aftersale(aftersale_id=aftersale.pk, user=buyer)
    with pytest.raises(OrderError) as refused:
        services.add_aftersale_photos(aftersale_id=aftersale.pk, user=buyer, photos=[image_upload()])
    assert refused.value.code == OrderCode.AFTERSALE_NOT_ALLOWED


# --- API -------------------------------------------------------------------------------------------


def test_api_takes_photos_as_multipart(client, buyer, shipped):
    headers = {"Authorization": f"Bearer {issue_token(user=buyer)}"}
    created = client.post(
        f"/api/v1/orders/lines/{line_of(shipped).pk}/aftersales",
        {"kind": "refund_only", "amount_fen": 1000, "reason": "破损"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["photos"] == []
    url = f"/api/v1/orders/aftersales/{created.json()['id']}/photos"

    response = client.post(url, {"photos": [jpeg_with_gps(), image_upload()]}, headers=headers)
    assert response.status_code == 201, response.content
    photos = response.json()["photos"]
    assert [(p["position"], p["width"], p["height"]) for p in photos] == [(1, 600, 800), (2, 64, 48)]
    assert photos[0]["url"] == reverse("web:aftersale_photo", args=[photos[0]["id"]])

    assert_error(client.post(url, {"photos": [text_as_jpeg()]}, headers=headers), 422, "invalid_photo")
    assert_error(client.post(url, {"photos": [image_upload() for _ in range(5)]}, headers=headers), 422, "too_many_photos")
    assert_error(client.post(url, {}, headers=headers), 422, "invalid_photo")
    other = {"Authorization": f"Bearer {issue_token(user=UserFactory())}"}
    assert_error(client.post(url, {"photos": [image_upload()]}, headers=other), 404, "aftersale_not_found")

    detail = client.get(f"/api/v1/orders/{shipped.pk}", headers=headers).json()
    assert len(detail["aftersales"][0]["photos"]) == 2


# --- admin -----------------------------------------------------------------------------------------


def test_staff_see_the_photos_in_the_aftersale_admin(client, buyer, shipped, operator):
    aftersale = ask(buyer, shipped, [jpeg_with_gps(), image_upload()])
    client.force_login(operator)
    page = client.get(reverse("admin:orders_aftersale_change", args=[aftersale.pk])).content.decode()
    for photo in aftersale.photos.all():
        url = reverse("web:aftersale_photo", args=[photo.pk])
        assert f'<img src="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert gps_of(b"".join(response.streaming_content)) == {}
        assert photo.image.name not in page  # never the file's own path
