"""The demo catalog's drawn pictures: a gallery of three per product, a rich description that shows
one of them, banners on the home page — drawn at seed time, and seeded once."""

import io

import pytest
from PIL import Image

from fenxiao.catalog.models import Banner, Product, ProductImage
from fenxiao.catalog.selectors import live_banners
from fenxiao.demo.seed import make_demo_catalog, make_demo_levels
from fenxiao.demo.seed.catalog import PRODUCTS
from fenxiao.demo.seed.pictures import SHAPES

pytestmark = pytest.mark.django_db


def test_every_demo_product_has_a_drawn_silhouette():
    assert {name for _, name, *_ in PRODUCTS} == set(SHAPES)


def test_seeded_gallery_descriptions_and_banners():
    from django.utils import timezone

    make_demo_levels()
    make_demo_catalog()
    product = Product.objects.get(name="玻尿酸补水精华液")
    images = list(product.images.order_by("sort_order", "id"))
    assert len(images) == 3
    pictures = []
    for image in images:
        with image.image.open("rb") as stored:
            data = stored.read()
        picture = Image.open(io.BytesIO(data))
        assert picture.format == "JPEG" and picture.size == (750, 750)
        assert len(data) < 80_000
        pictures.append(picture.convert("RGB").resize((16, 16)).tobytes())
    assert len(set(pictures)) == 3  # cover, close-up and specifications differ
    assert images[0].image.name.endswith("-cover.jpg")
    assert f'<img src="{images[1].image.url}"' in product.description and "<h4>规格</h4>" in product.description
    assert ProductImage.objects.count() == 3 * len(PRODUCTS)
    assert len(live_banners(timezone.now())) == 3

    make_demo_catalog()  # a second run adds nothing
    assert ProductImage.objects.count() == 3 * len(PRODUCTS) and Banner.objects.count() == 3
