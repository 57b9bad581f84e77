"""The mobile pages through the test client: what each page shows, and that share links, sign-in
and applications reach the distribution services the way the business expects."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from fenxiao.accounts.models import User
from fenxiao.accounts.services import agreement_versions
from fenxiao.distribution import services
from fenxiao.distribution.models import Binding, Distributor, Visit
from fenxiao.sms.tests.helpers import dev_code, sent_code
from fenxiao.web.templatetags.web_tags import fen, rate, shop_name
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234"


@pytest.fixture
def level():
    return LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=550)


@pytest.fixture
def shop(level):
    return DistributorFactory(user=UserFactory(nickname="小美"), level=level)


@pytest.fixture
def item():
    product = ProductFactory(
        name="玻尿酸精华",
        subtitle="补水保湿",
        description="第一段。\n\n第二段。",
        category=CategoryFactory(name="美妆", slug="beauty"),
    )
    SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000)
    return product


def shown() -> dict:
    """The hidden field of the apply page: the version of the distributor agreement it showed."""
    return {"agreement_version": agreement_versions()["distributor"]}


def login(client, user):
    client.force_login(user)
    return user


# --- display helpers -------------------------------------------------------------------------------


def test_fen_filter_formats_integer_fen_as_yuan():
    assert fen(15000) == "¥150.00"
    assert fen(5) == "¥0.05"
    assert fen(123456789) == "¥1,234,567.89"
    assert fen(-250) == "-¥2.50"
    assert fen(None) == ""


def test_rate_filter_formats_basis_points():
    assert rate(1500) == "15%"
    assert rate(550) == "5.5%"


def test_shop_name_uses_nickname(shop):
    assert shop_name(shop) == "小美的小店"


# --- platform shop and product pages --------------------------------------------------------------


def test_home_lists_products_with_price_and_placeholder(client, item):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "玻尿酸精华" in html
    assert "¥150.00" in html
    assert "app-ph" in html  # no image: drawn placeholder, never an external picture
    assert reverse("web:product", args=[item.pk]) in html
    assert 'name="viewport"' in html


def test_home_filters_by_category(client, item):
    other = ProductFactory(name="坚果礼盒", category=CategoryFactory(name="食品", slug="food"))
    SkuFactory(product=other, retail_fen=5000, suggested_retail_fen=5000, control_fen=4000)
    html = client.get(reverse("web:home"), {"c": "food"}).content.decode()
    assert "坚果礼盒" in html
    assert "玻尿酸精华" not in html


def test_home_hides_products_off_shelf(client, item):
    ProductFactory(name="下架商品", is_on_shelf=False)
    assert "下架商品" not in client.get(reverse("web:home")).content.decode()


def test_a_product_on_the_shelf_without_a_sku_is_shown_nowhere(client, item):
    bare = ProductFactory(name="无规格商品")
    assert "无规格商品" not in client.get(reverse("web:home")).content.decode()
    assert client.get(reverse("web:product", args=[bare.pk])).status_code == 404


def test_product_page_shows_skus_and_suggested_price(client, item):
    response = client.get(reverse("web:product", args=[item.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("玻尿酸精华", "补水保湿", "30ml", "¥150.00", "建议零售价", "¥168.00", "有货", "第二段"):
        assert text in html
    assert "分享给好友" not in html


def test_product_page_404_for_unknown_or_off_shelf(client):
    hidden = ProductFactory(is_on_shelf=False)
    assert client.get(reverse("web:product", args=[hidden.pk])).status_code == 404
    response = client.get(reverse("web:product", args=[999999]))
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()


def test_product_page_shows_stock_states(client, item):
    SkuFactory(product=item, spec="50ml", stock=0)
    SkuFactory(product=item, spec="100ml", stock=3)
    html = client.get(reverse("web:product", args=[item.pk])).content.decode()
    assert "已售罄" in html
    assert "仅剩 3 件" in html


def test_approved_distributor_sees_own_product_share_link(client, shop, item):
    login(client, shop.user)
    html = client.get(reverse("web:product", args=[item.pk])).content.decode()
    assert "分享给好友" in html
    assert f"http://testserver/s/{shop.code}/p/{item.pk}" in html
    assert f"/s/{shop.code}/qr.png?p={item.pk}" in html


# --- share links ----------------------------------------------------------------------------------


def test_share_shop_shows_distributor_shop_and_records_visit(client, shop, item):
    response = client.get(reverse("web:share_shop", args=[shop.code]), {"ch": "moments"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "小美的小店" in html
    assert "普通分销商" in html
    assert reverse("web:share_product", args=[shop.code, item.pk]) in html
    visit = Visit.objects.get(distributor=shop)
    assert visit.channel == "moments"
    assert visit.visitor is None
    assert visit.session_key  # anonymous visitors are told apart by session
    assert client.session["ref_code"] == shop.code


def test_share_shop_code_is_case_insensitive(client, shop):
    assert client.get(reverse("web:share_shop", args=[shop.code.lower()])).status_code == 200


@pytest.mark.parametrize("status", [Distributor.Status.PENDING, Distributor.Status.SUSPENDED])
def test_share_shop_404_for_bad_or_inactive_code(client, level, status):
    response = client.get(reverse("web:share_shop", args=["NOPE99"]))
    assert response.status_code == 404
    assert "分享链接无效" in response.content.decode()
    inactive = DistributorFactory(level=level, status=status)
    assert client.get(reverse("web:share_shop", args=[inactive.code])).status_code == 404
    assert not Visit.objects.exists()


def test_share_shop_binds_logged_in_visitor(client, shop):
    consumer = login(client, UserFactory())
    assert client.get(reverse("web:share_shop", args=[shop.code])).status_code == 200
    assert Binding.objects.get(customer=consumer).distributor == shop
    assert Visit.objects.get(distributor=shop).visitor == consumer
    assert "ref_code" not in client.session


def test_distributor_opening_own_shop_is_not_an_error(client, shop):
    login(client, shop.user)
    response = client.get(reverse("web:share_shop", args=[shop.code]))
    assert response.status_code == 200
    assert "这是你的小店" in response.content.decode()
    assert not Binding.objects.exists()


def test_htmx_category_filter_on_share_shop_is_not_a_new_visit(client, shop, item):
    client.get(reverse("web:share_shop", args=[shop.code]))
    response = client.get(reverse("web:share_shop", args=[shop.code]), {"c": "beauty"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "玻尿酸精华" in response.content.decode()
    assert Visit.objects.count() == 1


def test_share_product_records_product_visit(client, shop, item):
    response = client.get(reverse("web:share_product", args=[shop.code, item.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "玻尿酸精华" in html
    assert "小美的小店" in html
    assert Visit.objects.get(distributor=shop).product_id == item.pk


def test_share_product_404s(client, shop, item):
    assert client.get(reverse("web:share_product", args=["NOPE99", item.pk])).status_code == 404
    assert client.get(reverse("web:share_product", args=[shop.code, 999999])).status_code == 404
    assert not Visit.objects.exists()


def test_anonymous_visitor_who_registers_is_bound(client, shop):
    client.get(reverse("web:share_shop", args=[shop.code]))
    data = {"phone": "13812345678", "nickname": "新朋友", "password": "secret-77", "agree": "1"}
    response = client.post(reverse("web:register"), {**data, "code": sent_code("13812345678", "register")})
    assert response.status_code == 302
    binding = Binding.objects.get(customer__phone="13812345678")
    assert binding.distributor == shop
    assert binding.source == "shop_link"
    assert "ref_code" not in client.session


def test_anonymous_visitor_who_logs_in_is_bound(client, shop, item):
    consumer = UserFactory()
    client.get(reverse("web:share_product", args=[shop.code, item.pk]))
    client.post(reverse("web:login"), {"phone": consumer.phone, "password": PASSWORD})
    binding = Binding.objects.get(customer=consumer)
    assert binding.distributor == shop
    assert binding.source == "product_link"


def test_login_after_own_share_link_swallows_refusal(client, shop):
    client.get(reverse("web:share_shop", args=[shop.code]))
    response = client.post(reverse("web:login"), {"phone": shop.user.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert not Binding.objects.exists()


def test_share_qr_is_png_with_cache_header(client, shop, item):
    response = client.get(reverse("web:share_qr", args=[shop.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.width == image.height
    assert client.get(reverse("web:share_qr", args=[shop.code]), {"p": item.pk})["Content-Type"] == "image/png"
    assert not Visit.objects.exists()  # a QR image is not a visit


def test_share_qr_404s(client, shop, level):
    assert client.get(reverse("web:share_qr", args=["NOPE99"])).status_code == 404
    pending = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    assert client.get(reverse("web:share_qr", args=[pending.code])).status_code == 404
    assert client.get(reverse("web:share_qr", args=[shop.code]), {"p": "x"}).status_code == 404
    assert client.get(reverse("web:share_qr", args=[shop.code]), {"p": 999999}).status_code == 404


# --- accounts -------------------------------------------------------------------------------------


def test_login_page_renders_with_csrf(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "csrfmiddlewaretoken" in html
    assert reverse("web:register") in html


def test_login_wrong_password_shows_error_inline(client):
    consumer = UserFactory()
    response = client.post(reverse("web:login"), {"phone": consumer.phone, "password": "wrong-pass"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "手机号或密码错误" in html
    assert consumer.phone in html  # the typed phone stays in the form
    assert "_auth_user_id" not in client.session


def test_login_follows_safe_next_only(client):
    consumer = UserFactory()
    response = client.post(reverse("web:login") + "?next=/apply/", {"phone": consumer.phone, "password": PASSWORD})
    assert response["Location"] == "/apply/"
    client.logout()
    response = client.post(reverse("web:login"), {"phone": consumer.phone, "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:me")


def test_register_errors_are_shown(client):
    for data, message in (
        ({"phone": "12345", "password": "secret-77"}, "手机号格式不正确"),
        ({"phone": "13899990000", "password": "secret-77", "nickname": "x" * 40}, "昵称最多 32 个字符"),
        ({"phone": "13833334444", "password": "123"}, "密码太简单"),
        ({"phone": "13833334444", "password": "secret-77", "agree": ""}, "请阅读并同意《用户协议》和《隐私政策》"),
        ({"phone": "13833334444", "password": "secret-77", "code": "000000"}, "验证码错误或已失效"),
    ):
        response = client.post(reverse("web:register"), {"agree": "1", "code": "", **data})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not User.objects.filter(phone="13833334444").exists()


def test_register_page_sends_a_code_and_shows_it_in_development(client):
    response = client.post(reverse("web:register"), {"phone": "13855556666", "action": "send"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "验证码已发送至 138****6666" in html
    assert f"开发环境验证码：{dev_code('13855556666', 'register')}" in html
    assert 'value="13855556666"' in html  # the typed phone stays in the form
    assert not User.objects.filter(phone="13855556666").exists()


def test_register_page_needs_the_code_of_that_phone(client):
    code = sent_code("13855556666", "register")
    response = client.post(reverse("web:register"), {"phone": "13855556667", "password": "secret-77", "code": code, "agree": "1"})
    assert "验证码错误或已失效" in response.content.decode()
    assert not User.objects.filter(phone__in=["13855556666", "13855556667"]).exists()


def test_register_logs_in_and_records_consent(client, settings):
    assert client.get(reverse("web:register")).status_code == 200
    client.post(reverse("web:register"), {"phone": "13855556666", "action": "send"})
    code = dev_code("13855556666", "register")
    data = {"phone": "13855556666", "password": "secret-77", "code": code, "agree": "1"}
    response = client.post(reverse("web:register"), data, follow=True, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    user = response.context["user"]
    assert user.phone == "13855556666"
    assert "138****6666" in response.content.decode()
    consents = {(c.document, c.version, c.client_address) for c in user.consents.all()}
    versions = settings.FENXIAO_AGREEMENT_VERSIONS
    assert consents == {("user", versions["user"], "203.0.113.9"), ("privacy", versions["privacy"], "203.0.113.9")}
    # the code is used up
    client.post(reverse("web:logout"))
    again = client.post(reverse("web:register"), data)
    assert "验证码错误或已失效" in again.content.decode()


def test_registering_a_known_phone_with_its_code_signs_its_owner_in(client):
    owner = UserFactory(phone="13811112222")  # password pass-1234
    data = {"phone": "13811112222", "password": "secret-77", "agree": "1", "code": sent_code("13811112222", "register")}
    response = client.post(reverse("web:register"), data, follow=True)
    assert response.context["user"] == owner
    assert "该手机号已注册，已为你登录" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password("pass-1234")  # the password is not changed by registering again


def test_login_by_sms_code(client):
    consumer = UserFactory()
    page = client.get(reverse("web:login") + "?mode=sms").content.decode()
    assert "获取验证码" in page and 'name="code"' in page
    client.post(reverse("web:login"), {"mode": "sms", "action": "send", "phone": consumer.phone})
    code = dev_code(consumer.phone, "login")
    wrong = client.post(
        reverse("web:login"), {"mode": "sms", "phone": consumer.phone, "code": "111111" if code == "000000" else "000000"}
    )
    assert "验证码错误或已失效" in wrong.content.decode() and "_auth_user_id" not in client.session
    response = client.post(reverse("web:login"), {"mode": "sms", "phone": consumer.phone, "code": code, "next": "/apply/"})
    assert response.status_code == 302 and response["Location"] == "/apply/"
    assert client.session["_auth_user_id"] == str(consumer.pk)


def test_login_by_sms_code_of_a_phone_without_account_answers_like_a_wrong_code(client):
    client.post(reverse("web:login"), {"mode": "sms", "action": "send", "phone": "13866667777"})
    response = client.post(
        reverse("web:login"), {"mode": "sms", "phone": "13866667777", "code": dev_code("13866667777", "login")}
    )
    assert "验证码错误或已失效" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_page(client):
    consumer = UserFactory()
    login(client, consumer)
    assert reverse("web:password_reset") in client.get(reverse("web:me")).content.decode()
    client.post(reverse("web:password_reset"), {"action": "send", "phone": consumer.phone})
    code = dev_code(consumer.phone, "reset_password")
    response = client.post(reverse("web:password_reset"), {"phone": consumer.phone, "code": code, "password": "new-pass-99"})
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    assert "_auth_user_id" not in client.session
    consumer.refresh_from_db()
    assert consumer.check_password("new-pass-99")


def test_agreement_pages(client, settings):
    for document, title in (("user", "用户协议"), ("privacy", "隐私政策"), ("distributor", "分销商协议")):
        html = client.get(reverse("web:agreement", args=[document])).content.decode()
        assert title in html and settings.FENXIAO_AGREEMENT_VERSIONS[document] in html
    assert client.get("/agreements/nope/").status_code == 404
    register = client.get(reverse("web:register")).content.decode()
    assert reverse("web:agreement", args=["user"]) in register and reverse("web:agreement", args=["privacy"]) in register
    assert 'name="agree"' in register


def test_apply_needs_the_distributor_agreement_and_records_it(client, level):
    services.update_settings(admission_mode="review")
    consumer = login(client, UserFactory())
    html = client.get(reverse("web:apply")).content.decode()
    assert reverse("web:agreement", args=["distributor"]) in html
    refused = client.post(reverse("web:apply"), {"real_name": "李四"})
    assert "请阅读并同意《分销商协议》" in refused.content.decode()
    assert not Distributor.objects.filter(user=consumer).exists()
    client.post(reverse("web:apply"), {"real_name": "李四", "agree": "1", **shown()})
    assert Distributor.objects.filter(user=consumer).exists()
    assert list(consumer.consents.values_list("document", flat=True)) == ["distributor"]


def test_apply_records_consent_to_the_version_the_page_showed(client, level, settings):
    services.update_settings(admission_mode="review")
    settings.FENXIAO_AGREEMENT_VERSIONS = {"user": "1", "privacy": "1", "distributor": "2026-12-01"}
    consumer = login(client, UserFactory())
    html = client.get(reverse("web:apply")).content.decode()
    assert 'name="agreement_version" value="2026-12-01"' in html and "2026-12-01" in html

    # the operator publishes a new version while the applicant reads the old one
    settings.FENXIAO_AGREEMENT_VERSIONS = {"user": "1", "privacy": "1", "distributor": "2026-12-07"}
    refused = client.post(reverse("web:apply"), {"real_name": "李四", "agree": "1", "agreement_version": "2026-12-01"})
    html = refused.content.decode()
    assert refused.status_code == 200 and "《分销商协议》已更新" in html
    assert 'id="agreement-distributor"' in html and "佣金最多两级" in html  # the new text shown again
    assert 'name="agreement_version" value="2026-12-07"' in html
    assert 'name="agree" value="1" checked' not in html  # to be ticked again
    assert 'value="李四"' in html  # what was typed is kept
    assert not Distributor.objects.filter(user=consumer).exists() and not consumer.consents.exists()

    missing = client.post(reverse("web:apply"), {"real_name": "李四", "agree": "1"})
    assert "请阅读并同意《分销商协议》" in missing.content.decode()
    assert not Distributor.objects.filter(user=consumer).exists()

    client.post(reverse("web:apply"), {"real_name": "李四", "agree": "1", "agreement_version": "2026-12-07"})
    assert Distributor.objects.filter(user=consumer).exists()
    assert list(consumer.consents.values_list("document", "version")) == [("distributor", "2026-12-07")]


def test_logout_is_post_only(client):
    login(client, UserFactory())
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_me_requires_login(client):
    response = client.get(reverse("web:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_me_shows_masked_phone_and_binding(client, shop):
    consumer = login(client, UserFactory(phone="13712345678", nickname="阿华"))
    services.bind_customer(customer=consumer, distributor=shop)
    response = client.get(reverse("web:me"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "阿华" in html
    assert "137****5678" in html
    assert "13712345678" not in html
    assert "小美的小店" in html
    assert "申请成为分销商" in html


def test_me_links_distributor_to_center(client, shop):
    login(client, shop.user)
    html = client.get(reverse("web:me")).content.decode()
    assert reverse("web:distributor_center") in html
    assert "普通分销商" in html


# --- applying -------------------------------------------------------------------------------------


def test_apply_requires_login(client):
    response = client.get(reverse("web:apply"))
    assert response.status_code == 302
    assert "next=/apply/" in response["Location"]


def test_apply_open_mode_approves_and_goes_to_center(client, level):
    services.update_settings(admission_mode="open")
    consumer = login(client, UserFactory())
    html = client.get(reverse("web:apply")).content.decode()
    assert "自由加入" in html
    response = client.post(reverse("web:apply"), {"real_name": "张三", "note": "朋友圈", "agree": "1", **shown()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:distributor_center")
    distributor = Distributor.objects.get(user=consumer)
    assert distributor.is_approved
    assert distributor.code in response.content.decode()


def test_apply_review_mode_shows_pending(client, level):
    services.update_settings(admission_mode="review")
    consumer = login(client, UserFactory())
    assert "审核" in client.get(reverse("web:apply")).content.decode()
    response = client.post(reverse("web:apply"), {"real_name": "李四", "agree": "1", **shown()}, follow=True)
    html = response.content.decode()
    assert "待审核" in html
    assert 'name="real_name"' not in html  # no second application while one is pending
    assert Distributor.objects.get(user=consumer).status == Distributor.Status.PENDING
    assert client.get(reverse("web:distributor_center"))["Location"] == reverse("web:apply")


def test_apply_threshold_mode_shows_first_purchase_amount(client, level):
    services.update_settings(admission_mode="threshold", threshold_fen=9900)
    consumer = login(client, UserFactory())
    assert "¥99.00" in client.get(reverse("web:apply")).content.decode()
    html = client.post(reverse("web:apply"), {"agree": "1", **shown()}, follow=True).content.decode()
    assert "待完成首单" in html
    assert "¥99.00" in html
    assert Distributor.objects.get(user=consumer).status == Distributor.Status.AWAITING_PURCHASE


def test_apply_shows_inviter_and_fixes_it(client, shop):
    services.update_settings(admission_mode="open")
    consumer = login(client, UserFactory())
    services.bind_customer(customer=consumer, distributor=shop)
    html = client.get(reverse("web:apply")).content.decode()
    assert "邀请人" in html
    assert "小美的小店" in html
    client.post(reverse("web:apply"), {"real_name": "王五", "agree": "1", **shown()})
    assert Distributor.objects.get(user=consumer).inviter == shop


def test_rejected_application_shows_reason_and_can_reapply(client, level):
    services.update_settings(admission_mode="review")
    consumer = login(client, UserFactory())
    client.post(reverse("web:apply"), {"real_name": "赵六", "agree": "1", **shown()})
    distributor = Distributor.objects.get(user=consumer)
    services.reject_distributor(distributor_id=distributor.pk, actor=None, reason="资料不完整")
    html = client.get(reverse("web:apply")).content.decode()
    assert "申请未通过" in html
    assert "资料不完整" in html
    assert "重新申请" in html
    client.post(reverse("web:apply"), {"real_name": "赵六", "note": "补充资料", "agree": "1", **shown()})
    distributor.refresh_from_db()
    assert distributor.status == Distributor.Status.PENDING


def test_apply_domain_error_is_shown_not_raised(client):
    # No level configured yet: the service refuses, the page explains instead of failing.
    login(client, UserFactory())
    response = client.post(reverse("web:apply"), {"real_name": "孙七", "agree": "1", **shown()})
    assert response.status_code == 200
    assert "尚未设置任何分销等级" in response.content.decode()
    response = client.post(reverse("web:apply"), {"real_name": "孙" * 40, "agree": "1", **shown()})
    assert "姓名最多 32 个字符" in response.content.decode()


def test_duplicate_application_post_shows_message(client, level):
    services.update_settings(admission_mode="review")
    login(client, UserFactory())
    client.post(reverse("web:apply"), {"real_name": "周八", "agree": "1", **shown()})
    response = client.post(reverse("web:apply"), {"real_name": "周八", "agree": "1", **shown()})
    assert response.status_code == 200
    assert "你的申请正在处理中" in response.content.decode()


def test_approved_distributor_apply_page_links_center(client, shop):
    login(client, shop.user)
    html = client.get(reverse("web:apply")).content.decode()
    assert "你已是分销商" in html
    assert reverse("web:distributor_center") in html


# --- distributor center ---------------------------------------------------------------------------


def test_center_redirects_non_distributor_to_apply(client):
    login(client, UserFactory())
    assert client.get(reverse("web:distributor_center"))["Location"] == reverse("web:apply")


def test_center_requires_login(client):
    assert client.get(reverse("web:distributor_center"))["Location"].startswith(reverse("web:login"))


def test_center_shows_level_link_qr_and_counts(client, shop, level):
    direct = [DistributorFactory(inviter=shop, level=level) for _ in range(2)]
    DistributorFactory(inviter=direct[0], level=level)
    DistributorFactory(inviter=shop, level=level, status=Distributor.Status.PENDING)
    login(client, shop.user)
    response = client.get(reverse("web:distributor_center"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "普通分销商" in html
    assert "15%" in html and "5.5%" in html
    assert shop.code in html
    assert f"http://testserver/s/{shop.code}" in html
    assert reverse("web:share_qr", args=[shop.code]) in html
    assert response.context["counts"].direct == 2
    assert response.context["counts"].indirect == 1
    assert 'id="direct-count">2<' in html
    assert 'id="indirect-count">1<' in html


def test_center_shows_masked_phones_only(client, shop, level):
    members = [DistributorFactory(inviter=shop, level=level) for _ in range(25)]
    login(client, shop.user)
    response = client.get(reverse("web:distributor_center"))
    html = response.content.decode()
    assert len(response.context["recruits"].items) == 20
    for member in response.context["recruits"].items:
        assert member.phone in html and "****" in member.phone
    for member in members:
        assert member.user.phone not in html
    assert shop.user.phone not in html
    assert "最近加入的 20 位" in html
