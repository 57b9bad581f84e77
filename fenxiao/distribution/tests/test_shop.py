"""The distributor's shop front: text screening, featured products and their order, the avatar, the
poster, and the /api/v1/distribution/shop endpoints with their error shapes."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageDraw

from fenxiao.accounts.services import issue_token
from fenxiao.distribution import poster, selectors, services
from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import Distributor, DistributorShop, ShopFeature
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/distribution/shop"


@pytest.fixture
def shop_owner(level):
    return DistributorFactory(user=UserFactory(nickname="小美"), level=level)


@pytest.fixture
def products():
    items = []
    for i, price in enumerate([15000, 5000, 150000, 9900, 2990]):
        product = ProductFactory(name=f"好物{i}", sort_order=i)
        SkuFactory(product=product, retail_fen=price, stock=10)
        items.append(product)
    return items


def image_bytes(fmt="PNG", size=(400, 300), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def error_of(call) -> DistributionError:
    with pytest.raises(DistributionError) as info:
        call()
    return info.value


# --- text screening ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["小美", "小美的美妆铺子", "Amy 的好物 2024", "满199减20", "a" * 20])
def test_acceptable_names_pass(text):
    assert services.screen_text(f"  {text} ", field="name", min_length=2, max_length=20) == text


@pytest.mark.parametrize("text", ["", "美", "a" * 21, "   "])
def test_name_length_is_two_to_twenty(text):
    exc = error_of(lambda: services.screen_text(text, field="name", min_length=2, max_length=20))
    assert exc.code == "invalid_shop_text"
    assert exc.detail["rule"] == "length" and exc.detail["field"] == "name"


@pytest.mark.parametrize("text", ["第一行\n第二行", "看不见\u200b的字", "反向\u202e文字", "响铃\x07"])
def test_control_and_invisible_characters_refused(text):
    exc = error_of(lambda: services.screen_text(text, field="welcome", min_length=0, max_length=60))
    assert (exc.code, exc.detail["rule"]) == ("invalid_shop_text", "control")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("欢迎访问 https://example.org", "url"),
        ("去 www.example 看看", "url"),
        ("店铺 shop-abc.cn 更多", "url"),
        ("电话 13812345678", "phone"),
        ("热线 138-1234-5678", "phone"),
        ("全角 １３８１２３４５６７８", "phone"),
        ("加我微信 amy_2024", "wechat"),
        ("VX: amy2024", "wechat"),
        ("wx amy2024", "wechat"),
        ("有事加V", "wechat"),
        ("+v 联系", "wechat"),
    ],
)
def test_contact_details_refused_in_welcome(text, rule):
    exc = error_of(lambda: services.screen_text(text, field="welcome", min_length=0, max_length=60))
    assert (exc.code, exc.detail["rule"], exc.detail["field"]) == ("shop_text_forbidden", rule, "welcome")


@pytest.mark.parametrize("text", ["欢迎光临，正品保障", "满 199 元包邮", "新品 9.9 元起", "vivid 色彩 wxyz"])
def test_ordinary_welcome_lines_pass(text):
    assert services.screen_text(text, field="welcome", min_length=0, max_length=60) == text


def test_welcome_at_most_sixty_and_may_be_empty(shop_owner):
    shop = services.update_shop(distributor=shop_owner, name="小美好物", welcome="")
    assert shop.welcome == ""
    exc = error_of(lambda: services.update_shop(distributor=shop_owner, name="小美好物", welcome="好" * 61))
    assert exc.detail["field"] == "welcome"
    assert services.update_shop(distributor=shop_owner, name="小美好物", welcome="好" * 60).welcome == "好" * 60


# --- profile ----------------------------------------------------------------------------------


def test_default_profile_without_a_saved_shop(shop_owner):
    profile = selectors.shop_profile(shop_owner)
    assert profile.name == "小美的小店"
    assert (profile.welcome, profile.avatar_url, profile.is_customized, profile.feature_ids) == ("", "", False, [])
    assert not DistributorShop.objects.exists()


def test_update_shop_creates_then_updates_one_row(shop_owner):
    services.update_shop(distributor=shop_owner, name="小美好物", welcome="欢迎光临")
    first = DistributorShop.objects.get(distributor=shop_owner).updated_at
    services.update_shop(distributor=shop_owner, name="小美精选", welcome="")
    shop = DistributorShop.objects.get(distributor=shop_owner)
    assert (shop.name, shop.welcome) == ("小美精选", "")
    assert shop.updated_at >= first
    assert DistributorShop.objects.count() == 1


def test_only_approved_distributors_write(level):
    pending = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    exc = error_of(lambda: services.update_shop(distributor=pending, name="我的店铺"))
    assert (exc.code, exc.status) == ("not_distributor", 403)


# --- featured products ------------------------------------------------------------------------


def test_features_keep_the_given_order(shop_owner, products):
    ids = [products[2].pk, products[0].pk, products[4].pk]
    services.set_features(distributor=shop_owner, product_ids=ids)
    profile = selectors.shop_profile(shop_owner)
    assert profile.feature_ids == ids
    assert [p.pk for p in selectors.featured_products(profile)] == ids
    assert list(ShopFeature.objects.order_by("position").values_list("position", flat=True)) == [0, 1, 2]
    services.set_features(distributor=shop_owner, product_ids=[products[4].pk, products[2].pk])
    assert selectors.shop_profile(shop_owner).feature_ids == [products[4].pk, products[2].pk]


def test_at_most_twelve_features(shop_owner):
    many = [SkuFactory().product_id for _ in range(13)]  # on sale: each has a sellable SKU
    exc = error_of(lambda: services.set_features(distributor=shop_owner, product_ids=many))
    assert (exc.code, exc.detail["count"]) == ("invalid_features", 13)
    services.set_features(distributor=shop_owner, product_ids=many[:12])
    assert len(selectors.shop_profile(shop_owner).feature_ids) == 12


def test_duplicate_features_refused(shop_owner, products):
    exc = error_of(
        lambda: services.set_features(distributor=shop_owner, product_ids=[products[0].pk, products[1].pk, products[0].pk])
    )
    assert (exc.code, exc.detail["duplicates"]) == ("invalid_features", [products[0].pk])


def test_off_shelf_and_unknown_products_refused(shop_owner, products):
    off = ProductFactory(is_on_shelf=False)
    exc = error_of(lambda: services.set_features(distributor=shop_owner, product_ids=[products[0].pk, off.pk, 999999]))
    assert exc.code == "product_not_on_shelf"
    assert exc.detail["product_ids"] == [off.pk, 999999]
    assert not ShopFeature.objects.exists()


@pytest.mark.parametrize("bad", ["1,2", [1, "2"], [True], [0], None])
def test_feature_list_must_be_positive_ids(shop_owner, bad):
    assert error_of(lambda: services.set_features(distributor=shop_owner, product_ids=bad)).code == "invalid_features"


def test_product_taken_off_shelf_stops_showing(shop_owner, products):
    services.set_features(distributor=shop_owner, product_ids=[products[0].pk, products[1].pk])
    products[0].is_on_shelf = False
    products[0].save(update_fields=["is_on_shelf"])
    assert selectors.shop_profile(shop_owner).feature_ids == [products[1].pk]


def test_featured_products_follow_the_shop_rule(client, shop_owner, products):
    # Featured products are the ones a buyer can buy, the same read as every shop list: a product
    # whose SKUs are all switched off, or whose category is, drops out everywhere; one that is only
    # sold out stays, as it does on the lists.
    from fenxiao.catalog.models import Category, Sku
    from fenxiao.inventory.models import StockRecord
    from fenxiao.shop.selectors import shop_products

    services.set_features(distributor=shop_owner, product_ids=[p.pk for p in products[:4]])
    Sku.objects.filter(product=products[0]).update(is_active=False)
    Category.objects.filter(pk=products[1].category_id).update(is_active=False)
    StockRecord.objects.filter(sku__product=products[2]).update(on_hand=0, reserved=0)
    shown = [products[2].pk, products[3].pk]
    listed = {p.pk: p for p in shop_products()}
    assert not listed[products[2].pk].purchase.in_stock
    assert products[0].pk not in listed and products[1].pk not in listed and set(shown) <= set(listed)
    assert selectors.shop_profile(shop_owner).feature_ids == shown
    assert [p.pk for p in selectors.featured_products(selectors.shop_profile(shop_owner))] == shown
    assert [f["product_id"] for f in client.get(API, headers=bearer(shop_owner.user)).json()["featured"]] == shown
    assert {p.pk for p in selectors.pickable_products("好物")} == set(listed) & {p.pk for p in products}


def test_picker_steps_add_move_remove(shop_owner, products):
    a, b, c = (p.pk for p in products[:3])
    for pid in (a, b, c):
        services.change_feature(distributor=shop_owner, product_id=pid, action="add")
    services.change_feature(distributor=shop_owner, product_id=a, action="add")  # already there: no change
    assert selectors.shop_profile(shop_owner).feature_ids == [a, b, c]
    services.change_feature(distributor=shop_owner, product_id=c, action="up")
    assert selectors.shop_profile(shop_owner).feature_ids == [a, c, b]
    services.change_feature(distributor=shop_owner, product_id=a, action="down")
    assert selectors.shop_profile(shop_owner).feature_ids == [c, a, b]
    services.change_feature(distributor=shop_owner, product_id=c, action="up")  # first stays first
    services.change_feature(distributor=shop_owner, product_id=b, action="down")  # last stays last
    assert selectors.shop_profile(shop_owner).feature_ids == [c, a, b]
    services.change_feature(distributor=shop_owner, product_id=a, action="remove")
    assert selectors.shop_profile(shop_owner).feature_ids == [c, b]
    assert (
        error_of(lambda: services.change_feature(distributor=shop_owner, product_id=a, action="jump")).code == "invalid_features"
    )


def test_picker_search_lists_on_shelf_products_only(products):
    ProductFactory(name="好物下架", is_on_shelf=False)
    names = [p.name for p in selectors.pickable_products("好物")]
    assert "好物下架" not in names and set(names) == {p.name for p in products}
    assert [p.name for p in selectors.pickable_products("好物3")] == ["好物3"]


# --- avatar -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_avatar_is_resized_to_256_square(shop_owner, fmt):
    upload = SimpleUploadedFile(f"a.{fmt.lower()}", image_bytes(fmt, size=(800, 500)))
    shop = services.set_avatar(distributor=shop_owner, upload=upload)
    with shop.avatar.open("rb") as handle:
        stored = Image.open(handle)
        assert stored.size == (256, 256)
        assert stored.format == "JPEG"
    assert selectors.shop_profile(shop_owner).avatar_url.endswith(".jpg")


def test_transparent_png_avatar_is_flattened(shop_owner):
    out = io.BytesIO()
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(out, format="PNG")
    shop = services.set_avatar(distributor=shop_owner, upload=SimpleUploadedFile("t.png", out.getvalue()))
    with shop.avatar.open("rb") as handle:
        assert Image.open(handle).convert("RGB").getpixel((128, 128)) == (255, 255, 255)


def test_avatar_refuses_other_formats_and_garbage(shop_owner):
    gif = SimpleUploadedFile("a.gif", image_bytes("GIF"))
    assert error_of(lambda: services.set_avatar(distributor=shop_owner, upload=gif)).code == "invalid_avatar"
    junk = SimpleUploadedFile("a.png", b"not an image at all")
    assert error_of(lambda: services.set_avatar(distributor=shop_owner, upload=junk)).code == "invalid_avatar"
    assert not DistributorShop.objects.filter(distributor=shop_owner).exclude(avatar="").exists()


def test_avatar_over_two_megabytes_refused(shop_owner):
    big = SimpleUploadedFile("big.png", image_bytes("PNG", size=(10, 10)) + b"\0" * (2 * 1024 * 1024))
    exc = error_of(lambda: services.set_avatar(distributor=shop_owner, upload=big))
    assert exc.code == "avatar_too_large"


# --- poster -----------------------------------------------------------------------------------


def test_cjk_font_is_installed():
    """Without Noto Sans CJK SC the poster would show empty boxes; install Debian's fonts-noto-cjk."""
    path, _index = poster.font_source()
    face = poster.font(40)
    assert face.getname()[0] == "Noto Sans CJK SC", path

    # Distinct characters give distinct glyphs (a missing-glyph box would be the same for both).
    def glyph(ch):
        image = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(image).text((30, 30), ch, font=face, fill=255, anchor="mm")
        return image

    assert glyph("店").getbbox() is not None
    assert ImageChops.difference(glyph("店"), glyph("微")).getbbox() is not None


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    poster.font_source.cache_clear()
    poster.font.cache_clear()
    monkeypatch.setattr(poster, "_fc_match", lambda bold: None)
    monkeypatch.setattr(poster, "KNOWN_FONT_FILES", {False: tmp_path / "none.ttc", True: tmp_path / "none-bold.ttc"})
    try:
        exc = error_of(lambda: poster.font_source())
        assert (exc.code, exc.status) == ("poster_font_missing", 503)
    finally:
        poster.font_source.cache_clear()
        poster.font.cache_clear()


def test_poster_is_a_png_of_the_expected_size_with_the_shop_qr(shop_owner, products):
    services.update_shop(distributor=shop_owner, name="小美好物", welcome="欢迎光临，正品保障")
    services.set_features(distributor=shop_owner, product_ids=[p.pk for p in products])
    services.set_avatar(distributor=shop_owner, upload=SimpleUploadedFile("a.png", image_bytes()))
    url = f"http://testserver/s/{shop_owner.code}"
    result = poster.shop_poster(shop_owner, url)
    image = Image.open(io.BytesIO(result.png))
    assert image.format == "PNG"
    assert image.size == poster.POSTER_SIZE
    region = image.convert("RGB").crop(poster.QR_BOX)
    assert ImageChops.difference(region, poster.qr_image(url)).getbbox() is None
    other = poster.qr_image(url + "X")
    assert ImageChops.difference(region, other).getbbox() is not None


def test_poster_cache_follows_the_shop(shop_owner, products):
    url = f"http://testserver/s/{shop_owner.code}"
    first = poster.shop_poster(shop_owner, url)
    assert poster.shop_poster(shop_owner, url).etag == first.etag
    services.update_shop(distributor=shop_owner, name="小美新店")
    second = poster.shop_poster(shop_owner, url)
    assert second.etag != first.etag and second.png != first.png
    services.set_features(distributor=shop_owner, product_ids=[products[0].pk])
    assert poster.shop_poster(shop_owner, url).etag != second.etag


def test_poster_without_products_or_avatar_still_draws(shop_owner):
    png = poster.shop_poster(shop_owner, "http://testserver/s/x").png
    assert Image.open(io.BytesIO(png)).size == poster.POSTER_SIZE


# --- API --------------------------------------------------------------------------------------


def test_api_get_default_shop(client, shop_owner):
    response = client.get(API, headers=bearer(shop_owner.user))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "小美的小店"
    assert body["is_customized"] is False
    assert body["share_url"] == f"http://testserver/s/{shop_owner.code}"
    assert body["poster_url"] == "http://testserver/api/v1/distribution/shop/poster.png"
    assert body["featured"] == []


def test_api_put_shop_and_featured(client, shop_owner, products):
    headers = bearer(shop_owner.user)
    response = client.put(API, {"name": "小美好物", "welcome": "欢迎"}, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["welcome"]) == ("小美好物", "欢迎")
    ids = [products[3].pk, products[1].pk]
    response = client.put(f"{API}/featured", {"product_ids": ids}, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    featured = response.json()["featured"]
    assert [f["product_id"] for f in featured] == ids
    assert [f["position"] for f in featured] == [0, 1]
    assert featured[0]["price_fen"] == 9900


def test_api_error_shapes(client, shop_owner, products):
    headers = bearer(shop_owner.user)
    body = assert_error(
        client.put(API, {"name": "x"}, content_type="application/json", headers=headers), 400, "invalid_shop_text"
    )
    assert body["detail"]["field"] == "name"
    body = assert_error(
        client.put(API, {"name": "小美好物", "welcome": "加微信 amy"}, content_type="application/json", headers=headers),
        400,
        "shop_text_forbidden",
    )
    assert body["detail"]["rule"] == "wechat"
    assert_error(client.put(API, {"welcome": "hi"}, content_type="application/json", headers=headers), 422, "invalid_input")
    off = ProductFactory(is_on_shelf=False)
    assert_error(
        client.put(f"{API}/featured", {"product_ids": [off.pk]}, content_type="application/json", headers=headers),
        400,
        "product_not_on_shelf",
    )
    dup = [products[0].pk, products[0].pk]
    assert_error(
        client.put(f"{API}/featured", {"product_ids": dup}, content_type="application/json", headers=headers),
        400,
        "invalid_features",
    )
    assert_error(client.get(API), 401, "not_authenticated")
    assert_error(client.get(API, headers=bearer(UserFactory())), 403, "not_distributor")
    pending = DistributorFactory(status=Distributor.Status.PENDING, level=shop_owner.level)
    assert_error(client.get(API, headers=bearer(pending.user)), 403, "not_distributor")


def test_api_avatar_upload(client, shop_owner):
    headers = bearer(shop_owner.user)
    upload = SimpleUploadedFile("me.webp", image_bytes("WEBP"), content_type="image/webp")
    response = client.post(f"{API}/avatar", {"file": upload}, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["avatar_url"].startswith("http://testserver/media/shops/avatars/")
    gif = SimpleUploadedFile("me.gif", image_bytes("GIF"), content_type="image/gif")
    assert_error(client.post(f"{API}/avatar", {"file": gif}, headers=headers), 400, "invalid_avatar")
    assert_error(client.post(f"{API}/avatar", {}, headers=headers), 422, "invalid_input")


def test_api_poster_png_with_etag(client, shop_owner):
    headers = bearer(shop_owner.user)
    response = client.get(f"{API}/poster.png", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == poster.POSTER_SIZE
    again = client.get(f"{API}/poster.png", headers={**headers, "If-None-Match": response["ETag"]})
    assert again.status_code == 304
