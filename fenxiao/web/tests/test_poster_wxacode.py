"""With a mini-program configured, the product and shop posters carry its code (made by the local fake
of WeChat's API) where the QR code was, each poster and code drawn once and then served from the
shared cache; without one, or when WeChat cannot make a code, the posters keep the QR code."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image, ImageChops

from fenxiao.distribution import poster
from fenxiao.wechat.tests.conftest import fake_wechat  # noqa: F401  (the fixture)
from fenxiao.wechat.tests.fake_wechat import WXACODE_COLOUR
from tests.factories import DistributorFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller(client):
    distributor = DistributorFactory(user=UserFactory(nickname="小美"))
    client.force_login(distributor.user)
    return distributor


@pytest.fixture
def product():
    item = ProductFactory(name="玻尿酸精华")
    SkuFactory(product=item, retail_fen=15000, cost_fen=5000)
    return item


def region(response, box) -> Image.Image:
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB").crop(box)


def is_code(area: Image.Image) -> bool:
    """The square is filled by the fake's solid-colour code (not a black-and-white QR code)."""
    colours = area.getcolors(maxcolors=area.width * area.height)
    count, main = max(colours)
    return count > 0.9 * area.width * area.height and all(abs(a - b) <= 8 for a, b in zip(main, WXACODE_COLOUR, strict=True))


def test_the_product_poster_carries_the_mini_program_code(client, seller, product, fake_wechat):  # noqa: F811
    first = client.get(reverse("web:product_poster", args=[product.pk]))
    assert is_code(region(first, poster.PRODUCT_QR_BOX))
    (made,) = fake_wechat.wxacodes
    assert (made["scene"], made["page"]) == (f"d={seller.code}&p={product.pk}", "pages/product/index")
    again = client.get(reverse("web:product_poster", args=[product.pk]))
    assert again.content == first.content and len(fake_wechat.wxacodes) == 1


def test_the_shop_poster_carries_the_mini_program_code(client, seller, fake_wechat):  # noqa: F811
    response = client.get(reverse("web:shop_poster"))
    assert is_code(region(response, poster.QR_BOX))
    assert [c["scene"] for c in fake_wechat.wxacodes] == [f"d={seller.code}"]


def test_without_a_mini_program_the_posters_keep_the_qr_code(client, seller, product, settings, fake_wechat):  # noqa: F811
    settings.FENXIAO_WECHAT_MP_APPID = ""
    response = client.get(reverse("web:product_poster", args=[product.pk]))
    link = f"http://testserver{reverse('web:share_product', args=[seller.code, product.pk])}?ch=poster"
    area = region(response, poster.PRODUCT_QR_BOX)
    assert ImageChops.difference(area, poster.qr_image(link, poster.PRODUCT_QR_SIZE)).getbbox() is None
    assert not is_code(region(client.get(reverse("web:shop_poster")), poster.QR_BOX))
    assert fake_wechat.wxacodes == []


def test_a_code_wechat_refuses_leaves_the_qr_code_and_a_later_one_replaces_it(client, seller, product, fake_wechat):  # noqa: F811
    fake_wechat.wxacode_refusal = {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
    url = reverse("web:product_poster", args=[product.pk])
    with_qr = client.get(url)
    assert not is_code(region(with_qr, poster.PRODUCT_QR_BOX))
    fake_wechat.wxacode_refusal = None
    with_code = client.get(url)
    assert is_code(region(with_code, poster.PRODUCT_QR_BOX))
    assert with_code["ETag"] != with_qr["ETag"]  # another poster, not the cached QR one
