"""The shop editor (/dc/shop/), its htmx picker, the poster image, and the public share page showing
the shop's own name, avatar, welcome line and featured products first."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from fenxiao.distribution import poster
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import shop as selectors_shop
from fenxiao.distribution.services import shop as services_shop
from tests.factories import DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def owner():
    level = LevelFactory(name="普通分销商", rank=1)
    return DistributorFactory(user=UserFactory(nickname="小美"), level=level)


@pytest.fixture
def goods():
    items = []
    for i, name in enumerate(["玻尿酸精华", "坚果礼盒", "空气炸锅"]):
        product = ProductFactory(name=name, sort_order=i)
        SkuFactory(product=product, retail_fen=(i + 1) * 10000, stock=10)
        items.append(product)
    return items


def png_upload(name="a.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_center_links_to_the_shop_editor(client, owner):
    client.force_login(owner.user)
    page = client.get(reverse("web:distributor_center")).content.decode()
    assert 'id="shop-edit-link"' in page and reverse("web:shop_edit") in page


def test_editor_renders_with_defaults_link_and_poster(client, owner, goods):
    client.force_login(owner.user)
    response = client.get(reverse("web:shop_edit"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "小美的小店" in page
    assert f"http://testserver/s/{owner.code}" in page
    assert reverse("web:shop_poster") in page
    assert reverse("web:share_shop", args=[owner.code]) in page
    assert all(p.name in page for p in goods)  # the picker lists the shelf


def test_editor_requires_an_approved_distributor(client, owner):
    assert client.get(reverse("web:shop_edit")).status_code == 302  # to sign-in
    pending = DistributorFactory(status=Distributor.Status.PENDING, level=owner.level)
    client.force_login(pending.user)
    assert client.get(reverse("web:shop_edit")).url == reverse("web:apply")
    assert client.get(reverse("web:shop_poster")).status_code == 404


def test_editor_saves_name_and_welcome(client, owner):
    client.force_login(owner.user)
    response = client.post(reverse("web:shop_edit"), {"name": "小美好物", "welcome": "欢迎光临"})
    assert response.status_code == 302
    profile = selectors_shop.shop_profile(owner)
    assert (profile.name, profile.welcome) == ("小美好物", "欢迎光临")


def test_editor_shows_the_screening_message(client, owner):
    client.force_login(owner.user)
    response = client.post(reverse("web:shop_edit"), {"name": "小美好物", "welcome": "电话 13812345678"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="shop-error"' in page and "电话 13812345678" in page
    assert selectors_shop.shop_profile(owner).is_customized is False


def test_avatar_upload_page(client, owner):
    client.force_login(owner.user)
    response = client.post(reverse("web:shop_avatar"), {"avatar": png_upload()})
    assert response.status_code == 302
    assert selectors_shop.shop_profile(owner).avatar_url
    bad = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    response = client.post(reverse("web:shop_avatar"), {"avatar": bad}, follow=True)
    assert "头像须是" in response.content.decode()


def test_htmx_picker_adds_orders_and_removes(client, owner, goods):
    client.force_login(owner.user)
    url = reverse("web:shop_featured")
    for product in goods:
        response = client.post(url, {"product_id": product.pk, "action": "add"}, headers=HTMX)
        assert response.status_code == 200
        assert response.content.decode().lstrip().startswith('<section id="shop-featured">')
    client.post(url, {"product_id": goods[2].pk, "action": "up"}, headers=HTMX)
    response = client.post(url, {"product_id": goods[0].pk, "action": "down"}, headers=HTMX)
    page = response.content.decode()
    assert page.index("空气炸锅") < page.index("玻尿酸精华") < page.index("坚果礼盒")
    assert selectors_shop.shop_profile(owner).feature_ids == [goods[2].pk, goods[0].pk, goods[1].pk]
    client.post(url, {"product_id": goods[0].pk, "action": "remove"})  # a plain form works too
    assert selectors_shop.shop_profile(owner).feature_ids == [goods[2].pk, goods[1].pk]


def test_htmx_picker_refuses_off_shelf_products(client, owner):
    client.force_login(owner.user)
    off = ProductFactory(name="已下架商品", is_on_shelf=False)
    response = client.post(reverse("web:shop_featured"), {"product_id": off.pk, "action": "add"}, headers=HTMX)
    assert response.status_code == 200
    assert 'id="feature-error"' in response.content.decode()
    assert selectors_shop.shop_profile(owner).feature_ids == []


def test_picker_search(client, owner, goods):
    client.force_login(owner.user)
    response = client.get(reverse("web:shop_products"), {"q": "坚果"}, headers=HTMX)
    page = response.content.decode()
    assert "坚果礼盒" in page and "空气炸锅" not in page
    assert client.get(reverse("web:shop_products"), {"q": "坚果"}).url == reverse("web:shop_edit") + "?q=%E5%9D%9A%E6%9E%9C"


def test_poster_page_is_a_png_and_revalidates(client, owner, goods):
    client.force_login(owner.user)
    services_shop.set_features(distributor=owner, product_ids=[goods[0].pk])
    response = client.get(reverse("web:shop_poster"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == poster.POSTER_SIZE
    assert client.get(reverse("web:shop_poster"), headers={"If-None-Match": response["ETag"]}).status_code == 304
    download = client.get(reverse("web:shop_poster"), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")


def test_share_page_shows_the_shop_and_featured_products_first_in_order(client, owner, goods):
    services_shop.update_shop(distributor=owner, name="小美好物", welcome="欢迎光临小美好物")
    services_shop.set_avatar(distributor=owner, upload=png_upload())
    services_shop.set_features(distributor=owner, product_ids=[goods[2].pk, goods[0].pk])
    page = client.get(reverse("web:share_shop", args=[owner.code])).content.decode()
    assert "<title>小美好物</title>" in page
    assert 'id="shop-welcome">欢迎光临小美好物<' in page
    assert 'id="shop-avatar"' in page
    featured, rest = page.split('id="shop-body"', 1)
    featured = featured.split('id="shop-featured"', 1)[1]
    assert featured.index("空气炸锅") < featured.index("玻尿酸精华")
    assert "坚果礼盒" not in featured
    assert "坚果礼盒" in rest  # the whole shelf still follows


def test_share_page_without_a_saved_shop_is_unchanged(client, owner, goods):
    page = client.get(reverse("web:share_shop", args=[owner.code])).content.decode()
    assert "小美的小店" in page
    assert 'id="shop-featured"' not in page and 'id="shop-welcome"' not in page
