"""After-sale photos on the pages: the request form takes up to six (refusing a seventh and non-images
with the reason next to the field), the order page shows them to its buyer, and the photo address
answers the buyer and staff but not another buyer."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from fenxiao.orders.models import AfterSale
from fenxiao.orders.tests.photo_files import gps_of, image_upload, jpeg_with_gps, text_as_jpeg
from tests.factories import OrderFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="买家")
    client.force_login(user)
    return user


@pytest.fixture
def order(buyer):
    serum = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)
    return OrderFactory(shipped=True, user=buyer, items=[(serum, 1)])


def form(**extra):
    return {"kind": "refund_only", "amount": "20", "reason": "外盒破损", **extra}


def test_the_form_takes_photos_and_the_order_page_shows_them(client, buyer, order):
    url = reverse("web:aftersale_new", args=[order.lines.get().pk])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page and "最多 6 张" in page
    response = client.post(url, form(photos=[jpeg_with_gps(), image_upload()]))
    assert response.status_code == 302
    aftersale = AfterSale.objects.get()
    photos = list(aftersale.photos.all())
    assert len(photos) == 2

    detail = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    for photo in photos:
        assert f'src="{reverse("web:aftersale_photo", args=[photo.pk])}"' in detail
        assert photo.image.name not in detail
    served = client.get(reverse("web:aftersale_photo", args=[photos[0].pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert "private" in served["Cache-Control"]
    data = b"".join(served.streaming_content)
    assert gps_of(data) == {}
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"


def test_a_seventh_photo_and_a_renamed_text_file_are_refused_with_a_clear_message(client, buyer, order):
    url = reverse("web:aftersale_new", args=[order.lines.get().pk])
    response = client.post(url, form(photos=[image_upload() for _ in range(7)]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "每个售后申请最多上传 6 张照片" in page and 'id="photos-error"' in page
    assert "外盒破损" in page

    response = client.post(url, form(photos=[image_upload(), text_as_jpeg("receipt.jpg")]))
    assert response.status_code == 200
    assert "第 2 个文件不是 JPEG、PNG 或 WebP 图片" in response.content.decode()
    assert not AfterSale.objects.exists()


def test_photos_are_seen_by_the_buyer_and_staff_only(client, buyer, order):
    client.post(reverse("web:aftersale_new", args=[order.lines.get().pk]), form(photos=[image_upload()]))
    photo = AfterSale.objects.get().photos.get()
    url = reverse("web:aftersale_photo", args=[photo.pk])
    assert client.get(url).status_code == 200

    client.force_login(UserFactory())
    stranger = client.get(url)
    assert stranger.status_code == 404 and stranger["Content-Type"].startswith("text/html")
    assert client.get(reverse("web:aftersale_photo", args=[photo.pk + 1000])).status_code == 404

    clerk = StaffFactory(is_superuser=False)  # staff without the after-sale permission
    client.force_login(clerk)
    assert client.get(url).status_code == 404
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200

    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
