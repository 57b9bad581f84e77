"""The product poster (商品海报) a distributor saves from a product page: a PNG of the poster size with
the QR code of its own product link (poster channel), drawn once per content and then served from
the shared cache, drawn again when anything on it changes; and the shop poster in the same cache."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image, ImageChops

from fenxiao.catalog.models import ProductImage
from fenxiao.distribution import poster
from fenxiao.distribution.models import Distributor, DistributorShop, Visit
from fenxiao.shop.selectors import shop_product
from tests.factories import CategoryFactory, DistributorFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def serum():
    product = ProductFactory(name="玻尿酸精华（30ml 补水保湿修护屏障）", category=CategoryFactory(slug="beauty"))
    SkuFactory(product=product, retail_fen=15000, cost_fen=5000)
    SkuFactory(product=product, retail_fen=26800, cost_fen=9000)
    return product


@pytest.fixture
def seller(client):
    distributor = DistributorFactory(user=UserFactory(nickname="小美"))
    client.force_login(distributor.user)
    return distributor


@pytest.fixture
def draws(monkeypatch):
    """Counts the posters actually drawn (each call still draws the real picture)."""
    calls: list[dict] = []
    real = poster.render_product_poster

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(poster, "render_product_poster", counting)
    return calls


def poster_url(product) -> str:
    return reverse("web:product_poster", args=[product.pk])


def test_the_poster_is_a_png_with_the_qr_of_the_distributors_product_link(client, seller, serum, draws):
    response = client.get(poster_url(serum))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    assert image.size == poster.POSTER_SIZE
    link = f"http://testserver{reverse('web:share_product', args=[seller.code, serum.pk])}?ch=poster"
    region = image.convert("RGB").crop(poster.PRODUCT_QR_BOX)
    assert ImageChops.difference(region, poster.qr_image(link, poster.PRODUCT_QR_SIZE)).getbbox() is None
    assert ImageChops.difference(region, poster.qr_image(link + "x", poster.PRODUCT_QR_SIZE)).getbbox() is not None
    (drawn,) = draws
    assert drawn["name"] == serum.name
    assert (drawn["price_fen"], drawn["price_varies"]) == (15000, True)
    assert drawn["shop_name"] == "小美的小店"


def test_the_second_request_is_served_from_the_shared_cache(client, seller, serum, draws):
    first = client.get(poster_url(serum))
    second = client.get(poster_url(serum))
    assert len(draws) == 1
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert cache.get(f"{poster.PRODUCT_CACHE_PREFIX}:{first['ETag'].strip(chr(34))}") == first.content
    assert client.get(poster_url(serum), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(draws) == 1


def test_anything_drawn_changing_draws_a_new_poster(client, seller, serum, draws):
    first = client.get(poster_url(serum))["ETag"]
    serum.skus.filter(retail_fen=15000).update(retail_fen=13900)
    second = client.get(poster_url(serum))["ETag"]
    assert second != first
    assert draws[-1]["price_fen"] == 13900
    DistributorShop.objects.update_or_create(distributor=seller, defaults={"name": "小美严选"})
    third = client.get(poster_url(serum))["ETag"]
    assert third not in (first, second)
    assert draws[-1]["shop_name"] == "小美严选"
    assert len(draws) == 3
    # Another distributor's poster of the same product carries its own link: a poster of its own.
    other = DistributorFactory()
    client.force_login(other.user)
    assert client.get(poster_url(serum))["ETag"] not in (first, second, third)
    assert len(draws) == 4


def test_the_product_picture_is_drawn_on_top(client, seller, serum, settings, draws):
    picture = Image.new("RGB", (900, 600), (200, 30, 120))
    path = settings.MEDIA_ROOT / "products" / "cover.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    ProductImage.objects.create(product=serum, image="products/cover.png")
    image = Image.open(io.BytesIO(client.get(poster_url(serum)).content)).convert("RGB")
    assert image.getpixel((375, 375)) == (200, 30, 120)
    assert image.getpixel((10, 10)) == (200, 30, 120)  # cropped to fill the square, no border
    assert draws[-1]["picture"] is not None


def test_scanning_the_poster_counts_a_visit_through_the_poster_channel(client, seller, serum):
    link = reverse("web:share_product", args=[seller.code, serum.pk]) + "?ch=poster"
    client.force_login(UserFactory())
    assert client.get(link).status_code == 200
    visit = Visit.objects.filter(distributor=seller).latest("id")
    assert (visit.product_id, visit.channel) == (serum.pk, "poster")


def test_only_an_approved_distributor_gets_a_poster(client, serum):
    assert client.get(poster_url(serum)).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(poster_url(serum)).status_code == 404
    client.force_login(DistributorFactory(status=Distributor.Status.PENDING).user)
    assert client.get(poster_url(serum)).status_code == 404


def test_no_poster_for_a_product_off_the_shelf(client, seller, serum):
    serum.is_on_shelf = False
    serum.save(update_fields=["is_on_shelf"])
    assert client.get(poster_url(serum)).status_code == 404


def test_the_product_page_offers_the_poster_to_a_distributor_only(client, seller, serum):
    html = client.get(reverse("web:product", args=[serum.pk])).content.decode()
    assert poster_url(serum) in html
    assert f"{poster_url(serum)}?download=1" in html
    client.force_login(UserFactory())
    assert poster_url(serum) not in client.get(reverse("web:product", args=[serum.pk])).content.decode()


def test_a_long_name_and_no_picture_still_draw(seller, serum):
    serum.name = "超长名称" * 30
    item = shop_product(serum.pk)
    item.name = serum.name
    result = poster.product_poster(seller, item, "http://testserver/s/x/p/1?ch=poster")
    assert Image.open(io.BytesIO(result.png)).size == poster.POSTER_SIZE


def test_the_shop_poster_is_kept_in_the_shared_cache_too(seller):
    link = f"http://testserver/s/{seller.code}"
    result = poster.shop_poster(seller, link)
    assert cache.get(f"shop-poster:{result.etag}") == result.png
