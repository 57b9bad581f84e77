"""Operators' banners: their links stay on the site, they show only inside their dates and while what
they link to can be opened; uploads through the console are re-encoded."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone
from PIL import Image

from fenxiao.catalog import services
from fenxiao.catalog.admin import ProductImageForm
from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import Banner, ProductImage
from fenxiao.catalog.selectors import live_banners
from fenxiao.catalog.tests.test_images import GPS_IFD, jpeg_with_exif
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


def banner(**fields) -> Banner:
    fields.setdefault("title", "活动")
    fields.setdefault("image", "banners/a.jpg")
    if "product" not in fields and "category" not in fields and "url" not in fields:
        fields["target"], fields["url"] = Banner.Target.URL, "/search/?q=礼盒"
    return Banner.objects.create(**fields)


def test_live_banners_follow_their_dates_and_switch():
    now = timezone.now()
    always = banner(title="一直", sort_order=2)
    started = banner(title="已开始", starts_at=now - timedelta(hours=1), sort_order=1)
    later = banner(title="未开始", starts_at=now + timedelta(hours=1))
    banner(title="已结束", ends_at=now - timedelta(seconds=1))
    ends_later = banner(title="今天结束", starts_at=now - timedelta(days=1), ends_at=now + timedelta(hours=2), sort_order=3)
    banner(title="停用", is_active=False)
    assert list(live_banners(now)) == [started, always, ends_later]
    assert list(live_banners(now + timedelta(hours=1))) == [later, started, always, ends_later]  # the start is inclusive
    assert list(live_banners(now + timedelta(hours=2))) == [later, started, always]  # the end is not


def test_banners_to_what_cannot_be_opened_are_left_out():
    now = timezone.now()
    on_sale = ProductFactory()
    SkuFactory(product=on_sale)
    off_shelf = ProductFactory(is_on_shelf=False)
    SkuFactory(product=off_shelf)
    no_sku = ProductFactory()
    closed = CategoryFactory(is_active=False)
    shown = [banner(product=on_sale, target="product"), banner(category=CategoryFactory(), target="category")]
    banner(product=off_shelf, target="product")
    banner(product=no_sku, target="product")
    banner(category=closed, target="category")
    assert set(live_banners(now)) == set(shown)


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", "search/", ""]
)
def test_url_banners_must_stay_on_the_site(url):
    with pytest.raises(CatalogError) as caught:
        services.validate_banner(target="url", product=None, category=None, url=url, starts_at=None, ends_at=None)
    assert caught.value.code == "invalid_banner"


def test_banner_rules():
    now = timezone.now()
    services.validate_banner(target="url", product=None, category=None, url="/c/1/?sort=new", starts_at=None, ends_at=None)
    with pytest.raises(CatalogError):
        services.validate_banner(target="product", product=None, category=None, url="", starts_at=None, ends_at=None)
    with pytest.raises(CatalogError):
        services.validate_banner(target="category", product=None, category=None, url="", starts_at=None, ends_at=None)
    with pytest.raises(CatalogError):
        services.validate_banner(target="url", product=None, category=None, url="/x", starts_at=now, ends_at=now)
    with pytest.raises(IntegrityError):  # the database holds the same rule
        Banner.objects.create(title="x", image="a.jpg", target="product", url="/x")


def jpeg_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", jpeg_with_exif(), content_type="image/jpeg")


def test_console_banner_upload_is_reencoded_and_link_checked(client):
    client.force_login(StaffFactory())
    category = CategoryFactory()
    form = {"title": "美妆节", "target": "category", "category": category.pk, "url": "", "sort_order": 0, "is_active": "on"}
    response = client.post("/admin/catalog/banner/add/", {**form, "image": jpeg_upload()})
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Banner.objects.get()
    assert saved.category == category and saved.url == ""
    with saved.image.open("rb") as stored:
        img = Image.open(io.BytesIO(stored.read()))
    assert not img.getexif().get_ifd(GPS_IFD) and len(img.getexif()) == 0
    assert "IMG_0001" not in saved.image.name

    bad = client.post("/admin/catalog/banner/add/", {**form, "target": "url", "url": "//evil.example/", "image": jpeg_upload()})
    assert bad.status_code == 200 and Banner.objects.count() == 1
    not_picture = SimpleUploadedFile("x.jpg", b"<html>not a picture</html>", content_type="image/jpeg")
    refused = client.post("/admin/catalog/banner/add/", {**form, "image": not_picture})
    assert refused.status_code == 200 and Banner.objects.count() == 1


def test_gallery_upload_form_strips_location_data():
    product = ProductFactory()
    form = ProductImageForm(
        data={"alt": "正面", "sort_order": 0}, files={"image": jpeg_upload()}, instance=ProductImage(product=product)
    )
    assert form.is_valid(), form.errors
    image = form.save()
    with image.image.open("rb") as stored:
        assert not Image.open(io.BytesIO(stored.read())).getexif().get_ifd(GPS_IFD)
    refused = ProductImageForm(
        data={"alt": "", "sort_order": 1},
        files={"image": SimpleUploadedFile("big.jpg", b"x" * 100, content_type="image/jpeg")},
        instance=ProductImage(product=product),
    )
    assert not refused.is_valid() and "image" in refused.errors
